package org.policyrouter.hooks.state;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * The SMTP-time state that several router nodes must share: greylisting triplets, counters per
 * time window (rate limits) and open-connection slots (concurrency limits). One interface, three
 * engines: {@link EmbeddedStateStore} (one node, the default), {@code JdbcStateStore}
 * (PostgreSQL) and {@code RedisStateStore}. Every method answers with a future and never blocks
 * its caller: hooks run on Netty I/O threads and wait for the answer at most their check's
 * timeout ({@link StoreAccess}). A lost race between two nodes costs at most one extra deferral or
 * one message over a limit, so no method needs a transaction across calls.
 *
 * <p>Everything a store keeps expires by itself (a TTL, or an expiry column swept by the store):
 * nothing needs an operator's cleanup, and the slots of a node that died are forgotten after
 * their time to live.
 */
public interface StateStore extends AutoCloseable {
    /** The triplet's record, empty when unknown or expired. */
    CompletableFuture<Optional<GreylistRecord>> findTriplet(String key);

    /**
     * Saves the record; the store forgets it once {@code record.expiresAtMillis()} has passed. A
     * read of the same key made after this call sees the save, even before the save answered.
     */
    CompletableFuture<Void> saveTriplet(String key, GreylistRecord record);

    /**
     * Adds {@code amount} to the counter of {@code key} for the current fixed window of length
     * {@code window} (windows start at multiples of the window since the epoch, on the store's
     * clock) and answers the counter's new value. The counter is forgotten after its window.
     */
    CompletableFuture<Long> addToWindow(String key, long amount, Duration window);

    /**
     * Several {@link #addToWindow} at once (one SMTP command's counters): the new values, in the
     * order of {@code counts}. Each addition is atomic, not the set. Here one call each; an engine
     * that can do them in one round trip does.
     */
    default CompletableFuture<List<Long>> addToWindows(List<WindowCount> counts) {
        List<CompletableFuture<Long>> calls = counts.stream()
            .map(count -> addToWindow(count.key(), count.amount(), count.window()))
            .collect(Collectors.toList());
        return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]))
            .thenApply(done -> calls.stream().map(CompletableFuture::join).collect(Collectors.toList()));
    }

    /**
     * Records the open connection {@code slotId} under {@code key} (a client address or network)
     * until {@code ttl} from now, or refreshes it; answers how many unexpired slots {@code key}
     * holds, this one included.
     */
    CompletableFuture<Integer> openSlot(String key, String slotId, Duration ttl);

    /** Forgets the slot; the count of {@code key} drops by one. */
    CompletableFuture<Void> closeSlot(String key, String slotId);

    /** What logs call the store: {@code embedded var/greylisting}, {@code redis redis://10.0.0.5:6379}… (no password). */
    String describe();

    /** Ends what the store holds (threads, connections, files); called when no check uses it any more. */
    @Override
    void close();
}
