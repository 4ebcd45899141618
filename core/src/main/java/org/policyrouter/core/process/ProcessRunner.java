package org.policyrouter.core.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs external programs (spp plugins, pipe and MDA deliveries) the one way this project allows:
 * each in its own process group (through setsid), as the unprivileged user its spec names
 * (through setpriv, when the server runs as root), with only the environment it is given, stdin
 * fed by a thread of ours, stdout and stderr kept up to a limit and the rest drained, and at the
 * timeout SIGTERM to the whole group, then SIGKILL after a short grace: grandchildren, programs
 * ignoring SIGTERM and children holding a pipe open included.
 *
 * <p>Its threads ({@code policyrouter-NAME-io-N}, {@code policyrouter-NAME-timer}) are its own,
 * idle ones end after a few seconds, and {@link #close()} kills what still runs and stops them.
 * {@link #start} never blocks, so it may be called anywhere; {@link #run} waits for the result.
 */
public final class ProcessRunner implements AutoCloseable {
    /** How long a pipe may stay open after the program exited before its group is killed. */
    static final Duration AFTER_EXIT = Duration.ofMillis(200);
    private static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(1);
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));
    private static final long IDLE_THREAD_SECONDS = 10;

    private final Optional<Path> setsid;
    private final PrivilegeDrop privilegeDrop = PrivilegeDrop.system();
    private final Duration killGrace;
    private final ThreadPoolExecutor io;
    private final ScheduledThreadPoolExecutor timer;
    private final Set<ProgramRun> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** With the system's setsid (if there is one) and a grace of 1 s between SIGTERM and SIGKILL. */
    public ProcessRunner(String name) {
        this(name, systemSetsid(), DEFAULT_KILL_GRACE);
    }

    /**
     * @param setsid    the setsid program; empty (or not executable): no own process group, only
     *                  the program and the descendants Java can see are signalled
     * @param killGrace between SIGTERM and SIGKILL
     */
    public ProcessRunner(String name, Optional<Path> setsid, Duration killGrace) {
        this.setsid = setsid.filter(Files::isExecutable);
        this.killGrace = killGrace;
        io = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_THREAD_SECONDS, TimeUnit.SECONDS, new SynchronousQueue<>(),
            threads("policyrouter-" + name + "-io-"));
        timer = new ScheduledThreadPoolExecutor(1, threads("policyrouter-" + name + "-timer-"));
        timer.setKeepAliveTime(IDLE_THREAD_SECONDS, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        timer.setRemoveOnCancelPolicy(true);
    }

    public static Optional<Path> systemSetsid() {
        return SETSID.stream().filter(Files::isExecutable).findFirst();
    }

    /** Whether programs get their own process group, so a kill reaches all they started. */
    public boolean killsWholeGroups() {
        return setsid.isPresent();
    }

    /**
     * Starts the program; the future completes with its result on a thread of this runner: give
     * dependent work that takes time to an executor of its own ({@code …Async}).
     * Cancelling the future kills the program's group.
     */
    public CompletableFuture<ProcessResult> start(ProcessSpec spec) {
        if (closed) {
            return CompletableFuture.failedFuture(new CancellationException("process runner closed"));
        }
        ProgramRun run = new ProgramRun(this, spec);
        running.add(run);
        CompletableFuture<ProcessResult> result = run.start();
        if (result.isDone()) {
            running.remove(run);
        }
        return result;
    }

    /**
     * Runs the program to its end (at most its timeout plus the kill grace).
     *
     * @throws InterruptedException  after killing the program's group
     * @throws CancellationException when the runner was closed meanwhile
     */
    public ProcessResult run(ProcessSpec spec) throws InterruptedException {
        CompletableFuture<ProcessResult> result = start(spec);
        try {
            return result.get();
        } catch (InterruptedException e) {
            result.cancel(false);
            throw e;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CancellationException) {
                throw (CancellationException) e.getCause();
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Kills every program still running (its group) and stops this runner's threads. A thread
     * still reading a pipe that a process outside the group holds (it called setsid itself) ends
     * when that process does.
     */
    @Override
    public void close() {
        closed = true;
        running.forEach(ProgramRun::cancel);
        io.shutdownNow();
        timer.shutdownNow();
        try {
            io.awaitTermination(2, TimeUnit.SECONDS);
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Optional<Path> setsid() {
        return setsid;
    }

    PrivilegeDrop privilegeDrop() {
        return privilegeDrop;
    }

    Duration killGrace() {
        return killGrace;
    }

    Executor io() {
        return io;
    }

    /** Runs {@code task} on an io thread, unless the runner is closed (which settled every run). */
    void soon(Runnable task) {
        try {
            io.execute(task);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /** Runs {@code task} on an io thread after {@code delay}, unless the runner is closed by then. */
    Future<?> later(Runnable task, Duration delay) {
        try {
            return timer.schedule(() -> soon(task), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null);
        }
    }

    void forget(ProgramRun run) {
        running.remove(run);
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
