package org.policyrouter.hooks.core;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A point in time after which nobody waits any more. Hooks run on Netty I/O threads: a lookup
 * started at connect is awaited later only for what is left of its own time budget, so the
 * thread is never blocked longer than the configured DNS timeout, whatever the DNS server does.
 */
public final class Deadline {
    private final long nanos;

    private Deadline(long nanos) {
        this.nanos = nanos;
    }

    public static Deadline after(Duration bound) {
        return new Deadline(System.nanoTime() + bound.toNanos());
    }

    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, nanos - System.nanoTime()));
    }

    /** The future's value if it completes before the deadline; empty on timeout or failure. */
    public <T> Optional<T> await(Future<T> future) {
        try {
            if (future.isDone()) {
                return Optional.ofNullable(future.get());
            }
            return Optional.ofNullable(future.get(remaining().toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException | ExecutionException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
