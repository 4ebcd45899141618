package org.policyrouter.hooks.state;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The single-node store, the default: greylisting triplets in memory with a journal file in
 * {@code directory} ({@link TripletJournal}, so a restart does not defer every known sender
 * again), counters and connection slots in memory only (they describe the last minutes of this
 * node, which a restart ends anyway). Nothing here is shared with another node. Every call
 * answers at once with a completed future; the journal is opened at the first triplet, so a
 * store used only for limits writes no file.
 */
public final class EmbeddedStateStore implements StateStore {
    private static final int SWEEP_EVERY = 4096;

    private final Path directory;
    private final LongSupplier clock;
    private final int maxTriplets;
    private TripletJournal journal;
    private final Map<String, long[]> windows = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Long>> slots = new ConcurrentHashMap<>();
    private final AtomicLong additions = new AtomicLong();

    public EmbeddedStateStore(Path directory, int maxTriplets, LongSupplier clock) {
        this.directory = directory;
        this.clock = clock;
        this.maxTriplets = maxTriplets;
    }

    @Override
    public CompletableFuture<Optional<GreylistRecord>> findTriplet(String key) {
        return answer(() -> triplets().find(key));
    }

    @Override
    public CompletableFuture<Void> saveTriplet(String key, GreylistRecord record) {
        return answer(() -> {
            triplets().save(key, record);
            return null;
        });
    }

    @Override
    public CompletableFuture<Long> addToWindow(String key, long amount, Duration window) {
        long now = clock.getAsLong();
        long index = now / window.toMillis();
        long end = (index + 1) * window.toMillis();
        // {window end, total}: a counter of an ended window starts over; another window length is another counter
        long[] counter = windows.compute(key + "|" + window.toMillis(), (k, old) -> old == null || old[0] != end
            ? new long[] {end, amount} : new long[] {end, old[1] + amount});
        if (additions.incrementAndGet() % SWEEP_EVERY == 0) {
            windows.values().removeIf(entry -> entry[0] <= now);
        }
        return CompletableFuture.completedFuture(counter[1]);
    }

    @Override
    public CompletableFuture<Integer> openSlot(String key, String slotId, Duration ttl) {
        long now = clock.getAsLong();
        int[] open = new int[1];
        slots.compute(key, (k, held) -> {
            Map<String, Long> live = held == null ? new ConcurrentHashMap<>() : held;
            live.values().removeIf(expiry -> expiry <= now);
            live.put(slotId, now + ttl.toMillis());
            open[0] = live.size();
            return live;
        });
        return CompletableFuture.completedFuture(open[0]);
    }

    @Override
    public CompletableFuture<Void> closeSlot(String key, String slotId) {
        slots.computeIfPresent(key, (k, held) -> {
            held.remove(slotId);
            return held.isEmpty() ? null : held;
        });
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public String describe() {
        return "embedded " + directory;
    }

    @Override
    public synchronized void close() {
        if (journal != null) {
            journal.close();
        }
    }

    /** Opens the journal now, so that a directory that cannot be written stops the server at start. */
    public void openJournal() {
        triplets();
    }

    private synchronized TripletJournal triplets() {
        if (journal == null) {
            journal = new TripletJournal(directory, maxTriplets, clock);
        }
        return journal;
    }

    private static <T> CompletableFuture<T> answer(java.util.concurrent.Callable<T> call) {
        try {
            return CompletableFuture.completedFuture(call.call());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
