package org.policyrouter.hooks.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.core.process.UnixAccounts;

class PluginRunnerTest {
    static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", "SMTPHELOHOST", "client.example");

    @TempDir
    Path home;
    final List<String> stderr = new CopyOnWriteArrayList<>();
    PluginRunner runner;

    @BeforeEach
    void runner() throws IOException {
        // plugins run as nobody: the home must be open to it, as a real plugin folder is
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        runner = new PluginRunner(home, Duration.ofSeconds(2), 4096, Optional.of(Path.of("/usr/bin/setsid")),
            UnixAccounts.system().runAs("nobody"), (plugin, line) -> stderr.add(plugin.text() + ": " + line));
    }

    @AfterEach
    void closeRunner() {
        runner.close();
    }

    private PluginLine script(String name, String body) throws IOException {
        Path file = home.resolve("plugins").resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new PluginLine("plugins/" + name, "test");
    }

    private static PluginLine shell(String line) {
        return new PluginLine(":" + line, "test");
    }

    @Test
    void readsStdoutLinesAndLogsStderrWithThePluginName() throws Exception {
        PluginRun run = runner.run(script("hello", "echo \"HX-Helo: $SMTPHELOHOST\"; echo 'redirected spam' >&2; printf N"), ENV);

        assertThat(run.outcome()).isEqualTo(PluginRun.Outcome.COMPLETED);
        assertThat(run.lines()).containsExactly("HX-Helo: client.example", "N");
        Thread.sleep(100);
        assertThat(stderr).containsExactly("plugins/hello: redirected spam");
    }

    @Test
    void runsInTheHomeWithStdinClosedAndOnlyTheGivenEnvironment() {
        PluginRun run = runner.run(shell("pwd; cat; env | sort"), ENV);

        assertThat(run.lines()).containsExactly(home.toString(), "PATH=/usr/bin:/bin", "PWD=" + home, "SMTPHELOHOST=client.example");
    }

    @Test
    void pluginsRunAsTheConfiguredUnprivilegedUserNeverAsRoot() {
        PluginRun run = runner.run(shell("id -u; id -g; id -G"), ENV);

        assertThat(run.lines()).containsExactly("65534", "65534", "65534");
    }

    @Test
    void aMissingProgramCannotExecute() {
        PluginRun run = runner.run(new PluginLine("plugins/missing", "test"), ENV);

        assertThat(run.outcome()).isEqualTo(PluginRun.Outcome.CANNOT_EXECUTE);
        assertThat(run.detail()).endsWith("plugins/missing does not exist");
    }

    @Test
    void aFileWithoutExecutePermissionCannotExecute() throws Exception {
        PluginLine plugin = script("noexec", "echo N");
        Files.setPosixFilePermissions(home.resolve("plugins/noexec"), PosixFilePermissions.fromString("rw-r--r--"));

        assertThat(runner.run(plugin, ENV).outcome()).isEqualTo(PluginRun.Outcome.CANNOT_EXECUTE);
    }

    @Test
    void aMissingShellPluginCannotExecute() {
        assertThat(runner.run(shell("plugins/missing --flag"), ENV).outcome()).isEqualTo(PluginRun.Outcome.CANNOT_EXECUTE);
    }

    @Test
    void exitStatus120MeansCannotExecuteAsInQmailSpp() {
        assertThat(runner.run(shell("exit 120"), ENV).outcome()).isEqualTo(PluginRun.Outcome.CANNOT_EXECUTE);
        assertThat(runner.run(shell("exit 1"), ENV).outcome()).isEqualTo(PluginRun.Outcome.COMPLETED);
    }

    @Test
    void deathBySignalIsACrash() throws Exception {
        PluginRun run = runner.run(script("crash", "echo HX-Before: crash; kill -SEGV $$"), ENV);

        assertThat(run.outcome()).isEqualTo(PluginRun.Outcome.CRASHED);
        assertThat(run.exitStatus()).isEqualTo(128 + 11);
    }

    @Test
    void anEndlessPluginIsKilledWithEverythingItStarted() throws Exception {
        Path marker = home.resolve("child-alive");
        long start = System.nanoTime();
        PluginRun run = runner.run(shell("(sleep 3; touch " + marker + ") & echo HX-Started: yes; sleep 60"), ENV);

        assertThat(run.outcome()).isEqualTo(PluginRun.Outcome.TIMED_OUT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(run.lines()).containsExactly("HX-Started: yes");
        Thread.sleep(3500);
        assertThat(marker).as("the background child was killed with the group").doesNotExist();
    }

    @Test
    void outputBeyondTheBoundIsDroppedAndThePluginStillFinishes() {
        PluginRun run = runner.run(shell("echo HX-First: 1; head -c 10485760 /dev/zero | tr '\\0' 'x'; echo; echo N"), ENV);

        assertThat(run.outcome()).isEqualTo(PluginRun.Outcome.COMPLETED);
        assertThat(run.cut()).isTrue();
        assertThat(run.lines()).containsExactly("HX-First: 1");
    }

    @Test
    void stopsReadingAfterATerminatingCommand() {
        PluginRun run = runner.run(shell("echo E550 no; while true; do echo more; done"), ENV);

        assertThat(run.lines()).containsExactly("E550 no");
        assertThat(run.output().terminator()).isPresent();
        assertThat(run.elapsed()).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void doesNotWaitForAChildThatKeepsStdoutOpenAfterThePluginExited() {
        long start = System.nanoTime();
        PluginRun run = runner.run(shell("sleep 30 & echo N"), ENV);

        assertThat(run.outcome()).isEqualTo(PluginRun.Outcome.COMPLETED);
        assertThat(run.lines()).containsExactly("N");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void logsFiftyStderrLinesAndCountsTheRest() {
        runner.run(shell("i=0; while [ $i -lt 60 ]; do echo line $i >&2; i=$((i+1)); done; echo N"), ENV);

        assertThat(stderr).hasSize(51).startsWith(":i=0; while [ $i -lt 60 ]; do echo line $i >&2; i=$((i+1)); done; echo N: line 0")
            .endsWith(":i=0; while [ $i -lt 60 ]; do echo line $i >&2; i=$((i+1)); done; echo N: 10 more stderr lines not logged");
    }

    @Test
    void closeEndsTheRunnersThreads() {
        runner.run(shell("echo N"), ENV);

        runner.close();

        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(thread -> thread.isAlive() && thread.getName().startsWith("policyrouter-spp-"));
    }
}
