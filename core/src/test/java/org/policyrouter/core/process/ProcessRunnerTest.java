package org.policyrouter.core.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessRunnerTest {
    @TempDir
    Path dir;

    private final ProcessRunner runner = new ProcessRunner("test", ProcessRunner.systemSetsid(), Duration.ofMillis(500));

    @AfterEach
    void close() {
        runner.close();
    }

    private static ProcessSpec sh(String script) {
        return ProcessSpec.of(List.of("/bin/sh", "-c", script))
            .withEnvironment(Map.of("PATH", "/usr/bin:/bin"))
            .withTimeout(Duration.ofSeconds(10))
            .withStdoutLimit(4096)
            .withStderrLimit(4096);
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    void grandchildrenAreKilledWithTheGroupAtTheTimeout() throws Exception {
        assertThat(runner.killsWholeGroups()).as("setsid on this machine").isTrue();
        long start = System.nanoTime();
        ProcessResult result = runner.run(sh("( sleep 120 & ) ; sleep 120").withTimeout(Duration.ofSeconds(2)));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.TIMED_OUT);
        assertThat(result.detail()).isEqualTo("killed after the timeout of 2000 ms");
        assertThat(since(start)).isLessThan(Duration.ofSeconds(5));
        assertThat(ProcessGroups.liveMembersAfterAWhile(result.processId())).as("processes left of group %d", result.processId()).isEmpty();
    }

    @Test
    void aProgramThatClosesStdoutEarlyAndRunsOnIsKilledAtTheTimeout() throws Exception {
        ProcessResult result = runner.run(sh("echo before; exec >&-; sleep 120").withTimeout(Duration.ofSeconds(2)));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.TIMED_OUT);
        assertThat(result.stdout().text()).isEqualTo("before\n");
        assertThat(ProcessGroups.liveMembersAfterAWhile(result.processId())).isEmpty();
    }

    @Test
    void aChildHoldingStdoutAfterTheProgramExitedIsNotWaitedFor() throws Exception {
        long start = System.nanoTime();
        ProcessResult result = runner.run(sh("sleep 5 & echo done"));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.EXITED);
        assertThat(result.exitStatus()).isZero();
        assertThat(result.stdout().text()).isEqualTo("done\n");
        assertThat(since(start)).isLessThan(Duration.ofSeconds(3));
    }

    /**
     * Once the runner reads the pipe, a child still holding it after the program exited is
     * killed with the group. (A program that exits within milliseconds may have its pipes closed
     * by the JDK before the runner reads them: its children are then not seen.)
     */
    @RepeatedTest(3)
    void aChildStillHoldingStdoutAfterTheExitIsKilledWithTheGroup() throws Exception {
        long start = System.nanoTime();
        ProcessResult result = runner.run(sh("sleep 120 & echo done; sleep 1"));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.EXITED);
        assertThat(result.stdout().text()).isEqualTo("done\n");
        assertThat(since(start)).isLessThan(Duration.ofSeconds(4));
        assertThat(ProcessGroups.liveMembersAfterAWhile(result.processId())).isEmpty();
    }

    @Test
    void aProgramIgnoringSigtermIsKilledAfterTheGrace() throws Exception {
        long start = System.nanoTime();
        ProcessResult result = runner.run(sh("trap '' TERM; sleep 120 & sleep 120").withTimeout(Duration.ofSeconds(1)));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.TIMED_OUT);
        assertThat(since(start)).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(4));
        assertThat(ProcessGroups.liveMembersAfterAWhile(result.processId())).isEmpty();
    }

    @Test
    void aChildIgnoringSigtermThatHoldsNoPipeIsKilledToo() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        ProcessResult result = runner.run(sh("trap '' TERM; sleep 120 >/dev/null 2>&1 & echo $! > " + pidFile + "; exec sleep 120")
            .withTimeout(Duration.ofSeconds(1)));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.TIMED_OUT);
        long child = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(ProcessGroups.liveMembersAfterAWhile(result.processId())).doesNotContain(child).isEmpty();
    }

    @Test
    void outputOverTheLimitIsDrainedDroppedAndFlagged() throws Exception {
        ProcessResult result = runner.run(sh("head -c 5000000 /dev/zero | tr '\\0' x; echo end >&2")
            .withStdoutLimit(1000));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.EXITED);
        assertThat(result.stdout().bytes()).hasSize(1000);
        assertThat(result.stdout().truncated()).isTrue();
        assertThat(result.stdout().lines()).as("the line cut at the limit is left out").isEmpty();
        assertThat(result.stderr().text()).isEqualTo("end\n");
        assertThat(result.stderr().truncated()).isFalse();
    }

    @Test
    void stdinLargerThanAPipeBufferToAProgramThatNeverReadsItDoesNotDeadlock() throws Exception {
        byte[] tenMegabytes = new byte[10 * 1024 * 1024];
        long start = System.nanoTime();
        ProcessResult result = runner.run(sh("sleep 1; exit 3").withStdin(Stdin.of(tenMegabytes)));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.EXITED);
        assertThat(result.exitStatus()).isEqualTo(3);
        assertThat(since(start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void stdinArrivesWholeFromAStream() throws Exception {
        byte[] message = "Subject: hi\n\nbody\n".repeat(20000).getBytes(StandardCharsets.UTF_8);
        Path copy = dir.resolve("copy");
        ProcessResult result = runner.run(sh("cat > " + copy).withStdin(Stdin.from(new java.io.ByteArrayInputStream(message))));

        assertThat(result.exitStatus()).isZero();
        assertThat(Files.readAllBytes(copy)).isEqualTo(message);
    }

    @Test
    void theProgramSeesOnlyTheGivenEnvironmentInTheGivenDirectory() throws Exception {
        ProcessResult env = runner.run(ProcessSpec.of(List.of("/usr/bin/env")).withEnvironment(Map.of("RECIPIENT", "a@b.example"))
            .withStdoutLimit(4096));
        ProcessResult pwd = runner.run(sh("pwd").withDirectory(dir));

        assertThat(env.stdout().lines()).containsExactly("RECIPIENT=a@b.example");
        assertThat(pwd.stdout().text()).isEqualTo(dir + "\n");
    }

    @Test
    void aMissingOrNonExecutableProgramCouldNotStart() throws Exception {
        Path notExecutable = Files.writeString(dir.resolve("plain"), "#!/bin/sh\n");

        ProcessResult missing = runner.run(ProcessSpec.of(List.of("/nonexistent/mda")));
        ProcessResult plain = runner.run(ProcessSpec.of(List.of(notExecutable.toString())));
        ProcessResult notInPath = runner.run(ProcessSpec.of(List.of("no-such-program")).withEnvironment(Map.of("PATH", "/bin")));

        assertThat(missing.outcome()).isEqualTo(ProcessResult.Outcome.COULD_NOT_START);
        assertThat(missing.detail()).isEqualTo("could not start: /nonexistent/mda does not exist");
        assertThat(plain.detail()).isEqualTo("could not start: " + notExecutable + " is not an executable file");
        assertThat(notInPath.detail()).isEqualTo("could not start: no-such-program not found in PATH /bin");
    }

    @Test
    void deathBySignalIsReportedAsSuch() throws Exception {
        ProcessResult result = runner.run(sh("kill -SEGV $$"));

        assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.KILLED_BY_SIGNAL);
        assertThat(result.signal()).isEqualTo(11);
    }

    @Test
    void readingStopsAfterTheLastLineAndThePipeCloses() throws Exception {
        long start = System.nanoTime();
        ProcessResult result = runner.run(sh("echo one; echo END; while :; do echo more; done").withStdoutEndingAt("END"::equals));

        assertThat(result.stdout().lines()).containsExactly("one", "END");
        assertThat(result.outcome()).as("SIGPIPE on the next write").isEqualTo(ProcessResult.Outcome.KILLED_BY_SIGNAL);
        assertThat(since(start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void startReturnsAtOnceAndCancellingKillsTheGroup() throws Exception {
        Path pidFile = dir.resolve("pid");
        long start = System.nanoTime();
        CompletableFuture<ProcessResult> result = runner.start(sh("echo $$ > " + pidFile + "; sleep 120"));

        assertThat(since(start)).isLessThan(Duration.ofSeconds(1));
        assertThat(result).isNotDone();
        long pid = awaitPid(pidFile);
        result.cancel(false);
        assertThat(ProcessGroups.liveMembersAfterAWhile(pid)).isEmpty();
    }

    @Test
    void closeKillsWhatRunsAndEndsTheRunnersThreads() throws Exception {
        Path pidFile = dir.resolve("pid");
        CompletableFuture<ProcessResult> result = runner.start(sh("echo $$ > " + pidFile + "; sleep 120"));
        long pid = awaitPid(pidFile);

        runner.close();

        assertThatThrownBy(() -> result.get(5, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        assertThat(ProcessGroups.liveMembersAfterAWhile(pid)).isEmpty();
        assertThat(threadsNamed("policyrouter-test-")).isEmpty();
        assertThat(runner.start(sh("true"))).isCompletedExceptionally();
    }

    private static long awaitPid(Path pidFile) throws Exception {
        long end = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < end) {
            if (Files.exists(pidFile) && !Files.readString(pidFile).isBlank()) {
                return Long.parseLong(Files.readString(pidFile).trim());
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the program never wrote " + pidFile);
    }

    private static List<String> threadsNamed(String prefix) {
        return Arrays.stream(Thread.getAllStackTraces().keySet().toArray(Thread[]::new))
            .filter(Thread::isAlive).map(Thread::getName).filter(name -> name.startsWith(prefix))
            .collect(java.util.stream.Collectors.toList());
    }

    @Test
    void withoutSetsidTheProgramAndItsVisibleChildrenAreStillKilled() throws Exception {
        try (ProcessRunner plain = new ProcessRunner("plain", Optional.empty(), Duration.ofMillis(500))) {
            Path pidFile = dir.resolve("child.pid");
            ProcessResult result = plain.run(sh("sleep 120 & echo $! > " + pidFile + "; wait").withTimeout(Duration.ofSeconds(1)));

            assertThat(plain.killsWholeGroups()).isFalse();
            assertThat(result.outcome()).isEqualTo(ProcessResult.Outcome.TIMED_OUT);
            long child = Long.parseLong(Files.readString(pidFile).trim());
            Thread.sleep(200);
            assertThat(ProcessGroups.isRunning(child)).as("child %d running", child).isFalse();
        }
    }
}
