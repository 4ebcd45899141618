package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExternalCommandTest {
    @TempDir
    Path dir;

    private final ExternalCommand command = new ExternalCommand(Duration.ofSeconds(3));

    private RecipientOutcome sh(String script) {
        return command.run(List.of("/bin/sh", "-c", script), Map.of("RECIPIENT", "a@b.example"), out -> out.write("message\n".getBytes(StandardCharsets.UTF_8)));
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
        assertThat(Files.readAllLines(env)).contains("RECIPIENT=a@b.example").noneMatch(l -> l.startsWith("HOME=") || l.startsWith("JAVA_HOME="));
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
    void aProgramPastTheTimeoutIsKilledWithItsChildrenAndTheFailureIsTemporary() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        RecipientOutcome outcome = sh("sleep 600 & echo $! > " + pidFile + "; wait");

        assertThat(outcome.status()).isEqualTo(RecipientOutcome.Status.TEMPORARY_FAILURE);
        assertThat(outcome.reply()).contains("killed after the timeout of 3s");
        long child = Long.parseLong(Files.readString(pidFile).trim());
        Thread.sleep(200);
        assertThat(isRunning(child)).as("child %d still running", child).isFalse();
    }

    /** Running, not a zombie waiting for a reaper (a container's PID 1 may never reap it). */
    private static boolean isRunning(long pid) throws Exception {
        Path stat = Path.of("/proc", String.valueOf(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String content = Files.readString(stat);
        return content.charAt(content.lastIndexOf(')') + 2) != 'Z';
    }

    @Test
    void aProgramThatCannotBeRunIsATemporaryFailureNamingIt() {
        RecipientOutcome outcome = command.run(List.of("/nonexistent/mda"), Map.of(), out -> { });
        assertThat(outcome.status()).isEqualTo(RecipientOutcome.Status.TEMPORARY_FAILURE);
        assertThat(outcome.reply()).startsWith("/nonexistent/mda: cannot run:");
    }
}
