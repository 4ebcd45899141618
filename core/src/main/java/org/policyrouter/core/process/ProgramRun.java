package org.policyrouter.core.process;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * One program from start to result. It ends when the program exited and its pipes closed. At the
 * timeout, or when something it started still holds a pipe {@link ProcessRunner#AFTER_EXIT} after
 * the program exited, its group gets SIGTERM, then SIGKILL once the group went quiet or the grace
 * ran out. Pipes still open a second after SIGKILL (a process that left the group) are not waited
 * for. A program that exits before the runner's readers took its pipes (within milliseconds of
 * its start) has them closed by the JDK: a child it left holding them is not seen then.
 */
final class ProgramRun {
    private static final Duration ABANDON_PIPES_AFTER = Duration.ofSeconds(1);

    private final ProcessRunner runner;
    private final ProcessSpec spec;
    private final CompletableFuture<ProcessResult> result = new CompletableFuture<>();
    private final AtomicBoolean terminating = new AtomicBoolean();
    private final AtomicBoolean killed = new AtomicBoolean();
    private final long start = System.nanoTime();
    private Process process;
    private ProcessGroup group;
    private Optional<OutputPump> stdout = Optional.empty();
    private Optional<OutputPump> stderr = Optional.empty();
    private CompletableFuture<Void> pipesClosed;
    private CompletableFuture<Void> quiet;
    private volatile boolean timedOut;
    private volatile Future<?> timeout;

    ProgramRun(ProcessRunner runner, ProcessSpec spec) {
        this.runner = runner;
        this.spec = spec;
    }

    CompletableFuture<ProcessResult> start() {
        Optional<String> problem = Executables.problem(spec.argv().get(0), spec.environment(), spec.directory());
        if (problem.isPresent()) {
            result.complete(ProcessResult.couldNotStart(problem.get()));
            return result;
        }
        try {
            process = builder().start();
        } catch (IOException | IllegalStateException e) {
            result.complete(ProcessResult.couldNotStart(e.getMessage()));
            return result;
        }
        group = new ProcessGroup(process, runner.setsid().isPresent());
        List<CompletableFuture<Void>> pipes = new ArrayList<>();
        stdout = pump(spec.stdoutLimit(), () -> new OutputPump(process.getInputStream(), spec.stdoutLimit(), spec.lastStdoutLine()), pipes);
        stderr = pump(spec.stderrLimit(), () -> new OutputPump(process.getErrorStream(), spec.stderrLimit(), Optional.empty()), pipes);
        if (spec.stdin() != Stdin.NONE) {
            pipes.add(CompletableFuture.runAsync(this::writeStdin, runner.io()).handle((ignored, failure) -> null));
        }
        pipesClosed = CompletableFuture.allOf(pipes.toArray(CompletableFuture[]::new));
        // not Process.onExit(): it hops through the common pool, one thread on 2 cores and shared
        CompletableFuture<Void> exited = CompletableFuture.runAsync(this::awaitExit, runner.io());
        quiet = CompletableFuture.allOf(exited, pipesClosed);
        // finishing takes no time: done on the thread that saw the last pipe close or the exit
        quiet.thenRun(this::quietened);
        exited.thenRun(() -> runner.later(this::afterExit, ProcessRunner.AFTER_EXIT));
        timeout = runner.later(this::timeOut, spec.timeout());
        if (result.isDone()) {
            timeout.cancel(false);
        }
        result.whenComplete((done, failure) -> {
            if (result.isCancelled()) {
                killNow();
            }
        });
        return result;
    }

    private ProcessBuilder builder() {
        List<String> command = new ArrayList<>();
        runner.setsid().ifPresent(setsid -> command.add(setsid.toString()));
        // after setsid: setpriv execs the program in place, so it stays the group's leader
        command.addAll(runner.privilegeDrop().prefix(spec.runAs()));
        command.addAll(spec.argv());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(spec.environment());
        spec.directory().ifPresent(dir -> builder.directory(dir.toFile()));
        if (spec.stdin() == Stdin.NONE) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        if (spec.stdoutLimit() == 0) {
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        if (spec.stderrLimit() == 0) {
            builder.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        return builder;
    }

    private Optional<OutputPump> pump(int limit, Supplier<OutputPump> pump, List<CompletableFuture<Void>> pipes) {
        if (limit == 0) {
            return Optional.empty();
        }
        OutputPump started = pump.get();
        pipes.add(started.done());
        runner.io().execute(started);
        return Optional.of(started);
    }

    private void writeStdin() {
        try (OutputStream in = process.getOutputStream()) {
            spec.stdin().writeTo(in);
        } catch (IOException e) {
            // the program closed stdin or died: whether that is a failure is for its exit status to say
        }
    }

    private void awaitExit() {
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            // the runner is closing: every run was cancelled and its group killed
            Thread.currentThread().interrupt();
        }
    }

    private void timeOut() {
        if (!process.isAlive()) {
            return;
        }
        timedOut = true;
        terminate();
    }

    private void afterExit() {
        if (!pipesClosed.isDone()) {
            // a child still holds stdout, stderr or stdin: qmail-spp would wait for it forever
            terminate();
        }
    }

    private void terminate() {
        if (!terminating.compareAndSet(false, true)) {
            return;
        }
        group.terminate();
        runner.later(this::kill, runner.killGrace());
    }

    private void quietened() {
        if (terminating.get()) {
            runner.soon(this::kill);
        } else {
            finish();
        }
    }

    private void kill() {
        if (!killed.compareAndSet(false, true)) {
            return;
        }
        // also when the group went quiet on SIGTERM: members that ignore it and hold no pipe remain
        group.kill();
        quiet.thenRun(this::finish);
        runner.later(this::finish, ABANDON_PIPES_AFTER);
    }

    private void killNow() {
        terminating.set(true);
        kill();
        runner.forget(this);
    }

    private synchronized void finish() {
        if (result.isDone()) {
            return;
        }
        Future<?> pending = timeout;
        if (pending != null) {
            pending.cancel(false);
        }
        CapturedOutput out = stdout.map(OutputPump::captured).orElse(CapturedOutput.NONE);
        CapturedOutput err = stderr.map(OutputPump::captured).orElse(CapturedOutput.NONE);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        if (timedOut || process.isAlive()) {
            result.complete(ProcessResult.timedOut(spec.timeout(), out, err, elapsed, process.pid()));
        } else {
            result.complete(ProcessResult.ended(process.exitValue(), out, err, elapsed, process.pid()));
        }
        runner.forget(this);
    }

    void cancel() {
        result.cancel(false);
    }
}
