package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.core.process.ProcessRunner;
import org.policyrouter.core.process.Stdin;

class ExternalCommandTest {
    private static final ProgramLaunch AS_NOBODY = ProgramLaunch.as(org.policyrouter.core.process.UnixAccounts.system().runAs("nobody"));
    @TempDir
    Path dir;

    @org.junit.jupiter.api.BeforeEach
    void letTheProgramsWrite() throws Exception {
        ProgramDirectories.writableByAnyone(dir);
    }

    private final ExternalCommand command = new ExternalCommand(new ProcessRunner("test-delivery"), Duration.ofSeconds(3));

    @AfterEach
    void close() {
        command.close();
    }

    private RecipientOutcome sh(String script) {
        return command.run(AS_NOBODY, List.of("/bin/sh", "-c", script), Map.of("RECIPIENT", "a@b.example"), Stdin.of("message\n".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void exitZeroIsDeliveredAndTheMessageArrivesOnStdin() throws Exception {
        Path copy = dir.resolve("copy");
        assertThat(sh("cat > " + copy).status()).isEqualTo(RecipientOutcome.Status.DELIVERED);
        assertThat(Files.readString(copy)).isEqualTo("message\n");
    }

    @Test
    void onlyTheGivenEnvironmentReachesTheProgram() throws Exception {
        Path env = dir.resolve("env");
        sh("env > " + env);
        assertThat(Files.readAllLines(env)).contains("RECIPIENT=a@b.example", "PATH=/usr/local/bin:/usr/bin:/bin")
            .noneMatch(l -> l.startsWith("HOME=") || l.startsWith("JAVA_HOME="));
    }

    @Test
    void exTempfailIsTemporaryAndOtherStatusesArePermanentWithStderr() {
        RecipientOutcome temporary = sh("echo busy >&2; exit 75");
        assertThat(temporary.status()).isEqualTo(RecipientOutcome.Status.TEMPORARY_FAILURE);
        assertThat(temporary.reply()).isEqualTo("/bin/sh exited with status 75: busy");

        RecipientOutcome permanent = sh("echo 'no such user' >&2; exit 67");
        assertThat(permanent.status()).isEqualTo(RecipientOutcome.Status.PERMANENT_FAILURE);
        assertThat(permanent.reply()).isEqualTo("/bin/sh exited with status 67: no such user");
    }

    @Test
    void stderrIsCutToABoundAndAChattyProgramNeverBlocks() {
        RecipientOutcome outcome = sh("head -c 5000000 /dev/zero | tr '\\0' x >&2; exit 1");
        assertThat(outcome.status()).isEqualTo(RecipientOutcome.Status.PERMANENT_FAILURE);
        assertThat(outcome.reply().length()).isLessThan(ExternalCommand.MAX_STDERR_BYTES + 100);
    }

    @Test
    void aProgramThatNeverReadsALargeMessageStillEndsWithItsStatus() {
        RecipientOutcome outcome = command.run(AS_NOBODY, List.of("/bin/sh", "-c", "exit 67"), Map.of(), Stdin.of(new byte[8 * 1024 * 1024]));
        assertThat(outcome.reply()).isEqualTo("/bin/sh exited with status 67");
    }

    /**
     * The grandchild of a double fork is re-parented away from the program: only a kill of the
     * process group reaches it (the runner before this one left it running).
     */
    @Test
    void aProgramPastTheTimeoutIsKilledWithItsGrandchildrenAndTheFailureIsTemporary() throws Exception {
        Path marker = dir.resolve("grandchild-alive");
        long start = System.nanoTime();
        RecipientOutcome outcome = sh("( (sleep 4; touch " + marker + ") & ) ; sleep 120");

        assertThat(outcome.status()).isEqualTo(RecipientOutcome.Status.TEMPORARY_FAILURE);
        assertThat(outcome.reply()).isEqualTo("/bin/sh: killed after the timeout of 3s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        Thread.sleep(1500);
        assertThat(marker).as("the grandchild was killed with the group").doesNotExist();
    }

    @Test
    void aProgramThatCannotBeRunIsATemporaryFailureNamingIt() {
        RecipientOutcome outcome = command.run(AS_NOBODY, List.of("/nonexistent/mda"), Map.of(), Stdin.NONE);
        assertThat(outcome.status()).isEqualTo(RecipientOutcome.Status.TEMPORARY_FAILURE);
        assertThat(outcome.reply()).isEqualTo("/nonexistent/mda: cannot run: could not start: /nonexistent/mda does not exist");
    }
}
