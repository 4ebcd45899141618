package org.policyrouter.hooks.core;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs blocking calls (James's DNSService, a JDBC store) on a few threads of their own, never on
 * a Netty I/O thread; the hook awaits the future with a {@link Deadline}. The queue is bounded: a
 * call that cannot be queued (a backend that hangs while the queue fills) fails at once instead
 * of piling up. Threads are named {@code policyrouter-<what>-N} and end with {@link #close()}.
 */
public final class BlockingCalls implements AutoCloseable {
    private final ThreadPoolExecutor threads;

    public BlockingCalls(String what, int threadCount, int queueLength) {
        AtomicInteger count = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(threadCount, threadCount, 60, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queueLength), runnable -> {
                Thread thread = new Thread(runnable, "policyrouter-" + what + "-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        threads.allowCoreThreadTimeOut(true);
    }

    /** The call's result; completes exceptionally when it throws or cannot be queued. */
    public <T> CompletableFuture<T> submit(Callable<T> call) {
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return call.call();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, threads);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Interrupts calls still running; their callers have stopped waiting long ago. */
    @Override
    public void close() {
        threads.shutdownNow();
    }
}
