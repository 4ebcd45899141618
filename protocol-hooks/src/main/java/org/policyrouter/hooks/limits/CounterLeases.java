package org.policyrouter.hooks.limits;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.state.StoreAccess;
import org.policyrouter.hooks.state.WindowCount;

/**
 * Positions in the shared window counters, reserved from the store a block at a time. Every
 * counted attempt takes the next position of its counter's window and is over the limit when its
 * position is, exactly as if each attempt added one in the store; but a node reserves several
 * positions in one call (the counter grows by the block) and hands them out itself, so a busy
 * client's commands do not each cost a round trip to a database.
 *
 * <p>A block covers about {@link #BLOCK_SPAN_MILLIS} of the counter's recent traffic on this node,
 * and at most a sixteenth of what is left below the limit: near the limit every attempt asks the
 * store again, one position at a time. No position is handed out twice and none past the limit
 * is accepted, so a limit holds across all nodes; what a node reserved and did not use before the
 * window ends is lost, so a client may be refused a little early (by less than a sixteenth of the
 * limit per node), never late. Once the store's total is past the limit the counter is refused
 * without asking until its window ends: counters only grow within a window, and a flood then costs
 * the store nothing. The next block is reserved, unawaited, when half of the current one is used.
 */
final class CounterLeases {
    static final long BLOCK_SPAN_MILLIS = 100;
    private static final int HEADROOM_SHARE = 16;
    private static final long MAX_BLOCK = 10_000;
    /** The shortest time a rate is measured over: two quick attempts are not a thousand a second. */
    private static final long MIN_RATE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int SWEEP_EVERY = 4096;

    /** One counted attempt: the counter's key and its limit. */
    static final class Count {
        final String key;
        final WindowRate rate;

        Count(String key, WindowRate rate) {
            this.key = key;
            this.rate = rate;
        }
    }

    private final StoreAccess store;
    private final LongSupplier clock;
    private final Map<String, Lease> leases = new ConcurrentHashMap<>();
    private final AtomicLong takes = new AtomicLong();

    CounterLeases(StoreAccess store, LongSupplier clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * The position of each attempt in its counter, in the order of {@code counts}, waiting for the
     * store at most until {@code deadline}; empty when the store failed or did not answer in time.
     */
    Optional<long[]> take(List<Count> counts, Deadline deadline) {
        long now = clock.getAsLong();
        sweepNowAndThen(now);
        long[] positions = new long[counts.size()];
        boolean[] taken = new boolean[counts.size()];
        while (true) {
            List<Reservation> awaited = new ArrayList<>();
            List<Reservation> ahead = new ArrayList<>();
            List<CompletableFuture<Void>> others = new ArrayList<>();
            for (int i = 0; i < counts.size(); i++) {
                if (taken[i]) {
                    continue;
                }
                Count count = counts.get(i);
                long window = Math.floorDiv(now, count.rate.window.toMillis());
                Lease lease = leases.computeIfAbsent(count.key + "|" + count.rate.window.toMillis(), key -> new Lease());
                synchronized (lease) {
                    lease.roll(window);
                    if (lease.hasNext(count.rate.limit)) {
                        positions[i] = lease.next();
                        taken[i] = true;
                        if (lease.wantsNextBlock(count.rate.limit)) {
                            ahead.add(lease.reserve(count, window));
                        }
                    } else if (lease.reserving != null) {
                        others.add(lease.reserving);
                    } else {
                        awaited.add(lease.reserve(count, window));
                    }
                }
            }
            if (awaited.isEmpty() && others.isEmpty()) {
                if (!ahead.isEmpty()) {
                    reserve(ahead, store.send(engine -> engine.addToWindows(additions(ahead))));
                }
                return Optional.of(positions);
            }
            if (!awaited.isEmpty()) {
                awaited.addAll(ahead);
                CompletableFuture<List<Long>> reserved = reserve(awaited, store.start(engine -> engine.addToWindows(additions(awaited))));
                // a copy: a late answer cancels the copy, the reservation still lands for the next attempt
                if (store.await(deadline, reserved.thenApply(totals -> totals)).isEmpty()) {
                    return Optional.empty();
                }
            } else if (!ahead.isEmpty()) {
                reserve(ahead, store.send(engine -> engine.addToWindows(additions(ahead))));
            }
            for (CompletableFuture<Void> other : others) {
                // another thread's reservation: its caller notes an outage, this one only waits
                if (!deadline.await(other.handle((done, error) -> error == null)).orElse(false)) {
                    return Optional.empty();
                }
            }
        }
    }

    private static List<WindowCount> additions(List<Reservation> reservations) {
        List<WindowCount> additions = new ArrayList<>(reservations.size());
        for (Reservation reservation : reservations) {
            additions.add(new WindowCount(reservation.count.key, reservation.size, reservation.count.rate.window));
        }
        return additions;
    }

    /** When the store answers, each counter gets its block (or learns it failed); answers once they have. */
    private CompletableFuture<List<Long>> reserve(List<Reservation> reservations, CompletableFuture<List<Long>> call) {
        return call.whenComplete((totals, error) -> {
            for (int i = 0; i < reservations.size(); i++) {
                Reservation reservation = reservations.get(i);
                Lease lease = leases.get(reservation.count.key + "|" + reservation.count.rate.window.toMillis());
                if (lease != null) {
                    synchronized (lease) {
                        if (error == null) {
                            lease.add(reservation, totals.get(i));
                        }
                        if (lease.reserving == reservation.done) {
                            lease.reserving = null;
                        }
                    }
                }
                if (error == null) {
                    reservation.done.complete(null);
                } else {
                    reservation.done.completeExceptionally(error);
                }
            }
        });
    }

    /** Counters of windows that have ended are forgotten now and then: a client seen once does not stay. */
    private void sweepNowAndThen(long now) {
        if (takes.incrementAndGet() % SWEEP_EVERY == 0) {
            leases.entrySet().removeIf(entry -> {
                long windowMillis = Long.parseLong(entry.getKey().substring(entry.getKey().lastIndexOf('|') + 1));
                synchronized (entry.getValue()) {
                    return entry.getValue().reserving == null && entry.getValue().window < Math.floorDiv(now, windowMillis);
                }
            });
        }
    }

    /** How many counters this node follows now. */
    int size() {
        return leases.size();
    }

    private static final class Reservation {
        final Count count;
        final long window;
        final long size;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Reservation(Count count, long window, long size) {
            this.count = count;
            this.window = window;
            this.size = size;
        }
    }

    /** One counter's window on this node: the positions reserved and not yet handed out. Guarded by itself. */
    private static final class Lease {
        long window = Long.MIN_VALUE;
        final ArrayDeque<long[]> blocks = new ArrayDeque<>();
        /** The highest total the store answered in this window. */
        long highest;
        /** The last block's size, and the positions handed out since it was asked for, over how long. */
        long lastBlock;
        long usedSinceReserved;
        long reservedAtNanos;
        CompletableFuture<Void> reserving;

        void roll(long current) {
            if (current != window) {
                window = current;
                blocks.clear();
                highest = 0;
                lastBlock = 0;
                usedSinceReserved = 0;
                reserving = null;
            }
        }

        /** A position to hand out: a reserved one, or, once the store's total is past the limit, one counted here alone. */
        boolean hasNext(long limit) {
            return !blocks.isEmpty() || highest > limit;
        }

        long next() {
            usedSinceReserved++;
            long[] block = blocks.peekFirst();
            if (block == null) {
                // past the limit: refused without asking the store, counted here
                return ++highest;
            }
            long position = block[0]++;
            if (block[0] > block[1]) {
                blocks.pollFirst();
            }
            return position;
        }

        /** Half the last block is used, and it was more than one position: the next one is reserved now. */
        boolean wantsNextBlock(long limit) {
            if (reserving != null || lastBlock < 2 || highest > limit) {
                return false;
            }
            long left = 0;
            for (long[] block : blocks) {
                left += block[1] - block[0] + 1;
            }
            return left < (lastBlock + 1) / 2;
        }

        Reservation reserve(Count count, long current) {
            long now = System.nanoTime();
            long byRate = usedSinceReserved * TimeUnit.MILLISECONDS.toNanos(BLOCK_SPAN_MILLIS)
                / Math.max(MIN_RATE_NANOS, now - reservedAtNanos);
            long headroom = Math.max(1, (count.rate.limit - highest) / HEADROOM_SHARE);
            long size = lastBlock == 0 ? 1 : Math.max(1, Math.min(Math.min(byRate, headroom), MAX_BLOCK));
            Reservation reservation = new Reservation(count, current, size);
            lastBlock = size;
            usedSinceReserved = 0;
            reservedAtNanos = now;
            reserving = reservation.done;
            return reservation;
        }

        void add(Reservation reservation, long total) {
            if (reservation.window != window) {
                return;
            }
            highest = Math.max(highest, total);
            blocks.addLast(new long[] {total - reservation.size + 1, total});
        }
    }
}
