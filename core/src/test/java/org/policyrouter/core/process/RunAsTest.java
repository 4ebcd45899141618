package org.policyrouter.core.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real programs, real ids: the test JVM runs as root, so the switch through setpriv is exercised. */
class RunAsTest {
    @TempDir
    Path dir;

    private final ProcessRunner runner = new ProcessRunner("test", ProcessRunner.systemSetsid(), Duration.ofMillis(500));

    @BeforeEach
    void openDirectoryToEveryone() throws Exception {
        // the programs below run as nobody and write here
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterEach
    void close() {
        runner.close();
    }

    private static ProcessSpec sh(String script) {
        return ProcessSpec.of(List.of("/bin/sh", "-c", script)).withEnvironment(Map.of("PATH", "/usr/bin:/bin"))
            .withTimeout(Duration.ofSeconds(10)).withStdoutLimit(4096).withStderrLimit(4096);
    }

    @Test
    void theTestsRunAsRoot() throws Exception {
        assertThat(runner.run(sh("id -u")).stdout().text().strip()).as("these tests need a root JVM").isEqualTo("0");
    }

    @Test
    void aProgramRunsAsItsUidGidAndExactlyItsGroups() throws Exception {
        ProcessResult result = runner.run(sh("id -u; id -g; id -G; id -ur; id -gr").withRunAs(RunAs.of(65534, 8, List.of(8, 1))));

        assertThat(result.stdout().lines()).containsExactly("65534", "8", "8 1", "65534", "8");
    }

    @Test
    void noGroupsClearsTheServersGroups() throws Exception {
        ProcessResult result = runner.run(sh("id -G").withRunAs(RunAs.of(65534, 65534, List.of())));

        assertThat(result.stdout().text().strip()).isEqualTo("65534");
    }

    @Test
    void anAccountGivesItsIdsAndGroups() throws Exception {
        UnixAccount nobody = UnixAccounts.system().user("nobody").orElseThrow();
        ProcessResult result = runner.run(sh("id -u; id -g").withRunAs(RunAs.of(nobody)));

        assertThat(result.stdout().lines()).containsExactly(String.valueOf(nobody.uid()), String.valueOf(nobody.gid()));
    }

    @Test
    void rootsIdsAreRefused() {
        assertThatThrownBy(() -> RunAs.of(0, 8, List.of())).hasMessageContaining("never as root");
        assertThatThrownBy(() -> RunAs.of(8, 0, List.of())).hasMessageContaining("never as root");
        assertThatThrownBy(() -> RunAs.of(8, 8, List.of(8, 0))).hasMessageContaining("never as root");
    }

    @Test
    void userAndGroupAsPostfixPipeSetsThem() {
        assertThat(UnixAccounts.system().runAs("nobody")).isEqualTo(RunAs.of(65534, 65534, List.of(65534)));
        assertThat(UnixAccounts.system().runAs("nobody:mail")).isEqualTo(RunAs.of(65534, 8, List.of(8)));
        assertThatThrownBy(() -> UnixAccounts.system().runAs("root")).hasMessageContaining("uid 0");
        assertThatThrownBy(() -> UnixAccounts.system().runAs("nobody:root")).hasMessageContaining("gid 0");
        assertThatThrownBy(() -> UnixAccounts.system().runAs("no-such-user-xq")).hasMessageContaining("unknown unix user 'no-such-user-xq'");
        assertThatThrownBy(() -> UnixAccounts.system().runAs("nobody:no-such-group-xq")).hasMessageContaining("unknown unix group");
    }

    @Test
    void aDoubleForkedGrandchildOfADroppedProgramIsKilledAtTheTimeout() throws Exception {
        Path pidFile = dir.resolve("grandchild.pid");
        Path mark = dir.resolve("survived");
        // the inner subshell forks the sleeper and exits: the grandchild is re-parented to init
        String script = "( (sleep 3; touch " + mark + ") & echo $! > " + pidFile + " ) ; sleep 300";
        ProcessResult result = runner.run(sh(script).withTimeout(Duration.ofSeconds(1)).withRunAs(RunAs.of(65534, 65534, List.of())));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.TIMED_OUT);
        long grandchild = Long.parseLong(Files.readString(pidFile).strip());
        assertThat(ProcessGroups.liveMembersAfterAWhile(result.processId())).isEmpty();
        assertThat(ProcessGroups.isRunning(grandchild)).as("grandchild %d", grandchild).isFalse();
        Thread.sleep(3500);
        assertThat(mark).doesNotExist();
    }
}
