package org.policyrouter.hooks.limits;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import org.slf4j.LoggerFactory;

/**
 * Slots of closed connections kept open in the store for a moment, for the same client's next
 * connection to this node: a busy client's connections then cost no store call at all. Handing a
 * held slot to a new connection from the same network cannot take the count past what the store
 * allowed (every node counts the held slot already); the price is that other nodes count it while
 * it is idle. So a slot is held only while its network's count is at most half the concurrency
 * (near the limit every connection asks the store), for at most {@link #HOLD}, and only with a count
 * the store answered less than {@link #HOLD} ago; then it is closed in the store.
 */
final class HeldSlots implements AutoCloseable {
    static final Duration HOLD = Duration.ofSeconds(1);

    /** A connection's slot: its id, when its expiry was last set in the store, and the count the store answered when it was opened. */
    static final class Slot {
        /** The count of a slot asked for and not (yet) admitted: never held. */
        private static final int NOT_ADMITTED = Integer.MAX_VALUE;

        final String id;
        final long refreshedNanos;
        final int count;
        final long countedNanos;
        final long heldNanos;

        Slot(String id, long refreshedNanos, int count, long countedNanos) {
            this(id, refreshedNanos, count, countedNanos, 0);
        }

        private Slot(String id, long refreshedNanos, int count, long countedNanos, long heldNanos) {
            this.id = id;
            this.refreshedNanos = refreshedNanos;
            this.count = count;
            this.countedNanos = countedNanos;
            this.heldNanos = heldNanos;
        }

        /** A slot being opened in the store now. */
        static Slot asked(String id) {
            long now = System.nanoTime();
            return new Slot(id, now, NOT_ADMITTED, now);
        }

        /** This slot, admitted with the count the store answered. */
        Slot admitted(int storeCount) {
            return new Slot(id, refreshedNanos, storeCount, System.nanoTime());
        }

        /** This slot, its expiry set again in the store now. */
        Slot refreshed() {
            return new Slot(id, System.nanoTime(), count, countedNanos);
        }
    }

    private final int concurrency;
    private final BiConsumer<String, String> close;
    private final Map<String, Deque<Slot>> held = new ConcurrentHashMap<>();
    private final ScheduledExecutorService releaser;
    private volatile boolean closed;

    /** @param close closes a slot in the store: network key, slot id */
    HeldSlots(int concurrency, BiConsumer<String, String> close) {
        this.concurrency = concurrency;
        this.close = close;
        this.releaser = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "policyrouter-limit-slots");
            thread.setDaemon(true);
            return thread;
        });
        long every = HOLD.toMillis() / 4;
        releaser.scheduleWithFixedDelay(this::releaseIdle, every, every, TimeUnit.MILLISECONDS);
    }

    /** A slot this node holds for {@code key}, now the new connection's. */
    Optional<Slot> take(String key) {
        Deque<Slot> slots = held.get(key);
        return slots == null ? Optional.empty() : Optional.ofNullable(slots.pollFirst());
    }

    /** The connection has ended: its slot is held for the next one, or closed in the store. */
    void release(String key, Slot slot) {
        long now = System.nanoTime();
        if (!closed && 2L * slot.count <= concurrency && now - slot.countedNanos < HOLD.toNanos()) {
            Slot idle = new Slot(slot.id, slot.refreshedNanos, slot.count, slot.countedNanos, now);
            // compute: atomic with the releaser's removal of an empty queue, so no slot lands in a dropped one
            held.compute(key, (any, slots) -> {
                Deque<Slot> queue = slots == null ? new ConcurrentLinkedDeque<>() : slots;
                queue.offerFirst(idle);
                return queue;
            });
        } else {
            close.accept(key, slot.id);
        }
    }

    /** How many slots this node holds now. */
    int size() {
        return held.values().stream().mapToInt(Deque::size).sum();
    }

    private void releaseIdle() {
        try {
            closeIdle();
        } catch (RuntimeException e) {
            // the next round tries again: a scheduled task that throws is never run again
            LoggerFactory.getLogger(HeldSlots.class).warn("limit: closing idle slots failed", e);
        }
    }

    private void closeIdle() {
        long now = System.nanoTime();
        for (Map.Entry<String, Deque<Slot>> entry : held.entrySet()) {
            for (Slot slot : entry.getValue()) {
                if (now - slot.heldNanos >= HOLD.toNanos() && entry.getValue().remove(slot)) {
                    close.accept(entry.getKey(), slot.id);
                }
            }
            held.computeIfPresent(entry.getKey(), (key, slots) -> slots.isEmpty() ? null : slots);
        }
    }

    /** Every held slot is closed in the store (the check is released: a reload or the server's stop). */
    @Override
    public void close() {
        closed = true;
        releaser.shutdownNow();
        List<Map.Entry<String, Deque<Slot>>> entries = new ArrayList<>(held.entrySet());
        for (Map.Entry<String, Deque<Slot>> entry : entries) {
            Slot slot;
            while ((slot = entry.getValue().pollFirst()) != null) {
                close.accept(entry.getKey(), slot.id);
            }
        }
    }
}
