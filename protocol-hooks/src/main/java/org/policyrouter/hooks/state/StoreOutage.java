package org.policyrouter.hooks.state;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a shared store is answering, as its callers see it, with one log line when an outage
 * starts and one when it ends (not one per message). While the store is down, calls fail at once
 * except one probe per {@link #PROBE_INTERVAL}: a frozen server would otherwise make every hook
 * wait its whole timeout, and the probe that succeeds ends the outage without a restart.
 */
public final class StoreOutage {
    static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
    private static final Logger LOGGER = LoggerFactory.getLogger(StoreOutage.class);

    private final String store;
    private final long probeIntervalNanos;
    /** 0 while the store answers; otherwise when the outage began (nanoTime, never 0). */
    private final AtomicLong downSince = new AtomicLong();
    private final AtomicLong lastProbe = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    StoreOutage(String store, Duration probeInterval) {
        this.store = store;
        this.probeIntervalNanos = probeInterval.toNanos();
    }

    /** The call, or a failed future without calling while the store is down and no probe is due. */
    public <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> call) {
        if (downSince.get() != 0) {
            long now = System.nanoTime();
            long last = lastProbe.get();
            if (now - last < probeIntervalNanos || !lastProbe.compareAndSet(last, now)) {
                failures.incrementAndGet();
                return CompletableFuture.failedFuture(new StoreUnavailableException(store + " is unavailable (waiting for the next probe)"));
            }
        }
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    public void answered() {
        long since = downSince.getAndSet(0);
        if (since != 0) {
            LOGGER.info("state store {} answers again after {} s ({} calls failed meanwhile); checks use it again",
                store, Duration.ofNanos(System.nanoTime() - since).toSeconds(), failures.getAndSet(0));
        }
    }

    public void failed(String why) {
        failures.incrementAndGet();
        long now = Math.max(1, System.nanoTime());
        if (downSince.compareAndSet(0, now)) {
            lastProbe.set(now);
            LOGGER.error("state store {} unavailable: {}; each check applies its store_failure policy until it answers again", store, why);
        }
    }

    public boolean isDown() {
        return downSince.get() != 0;
    }

    /** A call refused because the store is known to be down. */
    public static final class StoreUnavailableException extends RuntimeException {
        StoreUnavailableException(String message) {
            super(message, null, false, false);
        }
    }
}
