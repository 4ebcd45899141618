package org.policyrouter.hooks.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.state.EmbeddedStateStore;
import org.policyrouter.hooks.state.GreylistRecord;
import org.policyrouter.hooks.state.StateStore;
import org.policyrouter.hooks.state.StoreAccess;
import org.policyrouter.hooks.state.StoreFailure;
import org.policyrouter.hooks.state.WindowCount;

/**
 * Window counters reserved a block at a time: what the store is asked, and that a limit still
 * holds exactly when two nodes share one store. The store is the embedded engine behind a
 * counter of the additions it is asked for.
 */
class CounterLeasesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path state;

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<StoreAccess> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(StoreAccess::close);
    }

    private CountingStore store() {
        return new CountingStore(new EmbeddedStateStore(state, 1000, clock::get));
    }

    private CounterLeases leases(StateStore engine) {
        StoreAccess access = StoreAccess.of(engine, TIMEOUT, StoreFailure.ACCEPT);
        opened.add(access);
        return new CounterLeases(access, clock::get);
    }

    private static WindowRate rate(String text) {
        return WindowRate.option(Options.fromPluginArguments(List.of("rate", text), "plugins:1"), "rate");
    }

    private static long take(CounterLeases leases, String key, WindowRate rate) {
        return leases.take(List.of(new CounterLeases.Count(key, rate)), Deadline.after(TIMEOUT)).orElseThrow()[0];
    }

    @Test
    void aBusyCounterIsReservedInBlocksAndEveryPositionHandedOutOnce() throws Exception {
        CountingStore store = store();
        CounterLeases leases = leases(store);
        WindowRate rate = rate("1000000/1h");

        List<Long> positions = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            positions.add(take(leases, "rate_msg_host:192.0.2.7", rate));
        }

        assertThat(positions).as("one node alone: 1, 2, 3 …").isSorted().doesNotHaveDuplicates();
        assertThat(positions.get(0)).isEqualTo(1);
        assertThat(store.additions.get()).as("store calls for 5,000 attempts").isLessThan(200);
        long total = store.addToWindow("rate_msg_host:192.0.2.7", 0, Duration.ofHours(1)).get();
        assertThat(total).as("the store counts what was handed out and the blocks in reserve").isGreaterThanOrEqualTo(5000)
            .isLessThan(5000 + 2 * 10_000);
    }

    @Test
    void nearItsLimitACounterAsksTheStoreForEachAttempt() {
        CountingStore store = store();
        CounterLeases leases = leases(store);
        WindowRate rate = rate("20/1h");

        for (int i = 1; i <= 20; i++) {
            assertThat(take(leases, "k", rate)).isEqualTo(i);
        }

        assertThat(store.additions.get()).as("a sixteenth of what is left is less than two: one at a time").isEqualTo(20);
    }

    @Test
    void pastItsLimitACounterIsRefusedWithoutAskingTheStoreUntilItsWindowEnds() {
        CountingStore store = store();
        CounterLeases leases = leases(store);
        WindowRate rate = rate("3/1m");
        for (int i = 1; i <= 4; i++) {
            take(leases, "k", rate);
        }
        int asked = store.additions.get();

        for (int i = 0; i < 100; i++) {
            assertThat(take(leases, "k", rate)).isGreaterThan(3);
        }
        assertThat(store.additions.get()).isEqualTo(asked);

        clock.addAndGet(Duration.ofMinutes(1).toMillis());
        assertThat(take(leases, "k", rate)).as("a new window").isEqualTo(1);
        assertThat(store.additions.get()).isEqualTo(asked + 1);
    }

    @Test
    void twoNodesOnOneStoreAcceptExactlyTheLimitBetweenThem() throws Exception {
        CountingStore store = store();
        List<CounterLeases> nodes = List.of(leases(store), leases(store));
        WindowRate rate = rate("3000/1h");
        Set<Long> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++) {
                CounterLeases node = nodes.get(thread % 2);
                work.add(threads.submit(() -> {
                    for (int i = 0; i < 2000; i++) {
                        long position = take(node, "rate_rcpt_host:192.0.2.0/24", rate);
                        if (position <= rate.limit) {
                            assertThat(accepted.add(position)).as("position %d handed out twice", position).isTrue();
                        } else {
                            refused.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> done : work) {
                done.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(accepted).as("8,000 attempts on two nodes, limit 3,000").hasSize(3000);
        assertThat(refused.get()).isEqualTo(5000);
        assertThat(store.additions.get()).as("store calls").isLessThan(2000);
    }

    @Test
    void twoCountersOfOneCommandAreReservedInOneCall() {
        CountingStore store = store();
        CounterLeases leases = leases(store);
        WindowRate rate = rate("100/1h");

        long[] positions = leases.take(List.of(new CounterLeases.Count("host", rate), new CounterLeases.Count("sender", rate)),
            Deadline.after(TIMEOUT)).orElseThrow();

        assertThat(positions).containsExactly(1, 1);
        assertThat(store.calls.get()).isEqualTo(1);
    }

    @Test
    void aStoreThatDoesNotAnswerGivesNoPositionWithinTheDeadline() {
        CounterLeases leases = leases(new SilentStore());
        long start = System.nanoTime();

        Optional<long[]> positions = leases.take(List.of(new CounterLeases.Count("k", rate("10/1h"))), Deadline.after(Duration.ofMillis(200)));

        assertThat(positions).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    /** The embedded engine, counting the additions (and calls) it is asked for. */
    private static final class CountingStore implements StateStore {
        final StateStore engine;
        final AtomicInteger additions = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();

        CountingStore(StateStore engine) {
            this.engine = engine;
        }

        @Override
        public CompletableFuture<Optional<GreylistRecord>> findTriplet(String key) {
            return engine.findTriplet(key);
        }

        @Override
        public CompletableFuture<Void> saveTriplet(String key, GreylistRecord record) {
            return engine.saveTriplet(key, record);
        }

        @Override
        public CompletableFuture<Long> addToWindow(String key, long amount, Duration window) {
            return engine.addToWindow(key, amount, window);
        }

        @Override
        public CompletableFuture<List<Long>> addToWindows(List<WindowCount> counts) {
            calls.incrementAndGet();
            additions.addAndGet(counts.size());
            return engine.addToWindows(counts);
        }

        @Override
        public CompletableFuture<Integer> openSlot(String key, String slotId, Duration ttl) {
            return engine.openSlot(key, slotId, ttl);
        }

        @Override
        public CompletableFuture<Void> closeSlot(String key, String slotId) {
            return engine.closeSlot(key, slotId);
        }

        @Override
        public String describe() {
            return "counting";
        }

        @Override
        public void close() {
            engine.close();
        }
    }

    /** A store that never answers, as a frozen server. */
    private static final class SilentStore implements StateStore {
        @Override
        public CompletableFuture<Optional<GreylistRecord>> findTriplet(String key) {
            return new CompletableFuture<>();
        }

        @Override
        public CompletableFuture<Void> saveTriplet(String key, GreylistRecord record) {
            return new CompletableFuture<>();
        }

        @Override
        public CompletableFuture<Long> addToWindow(String key, long amount, Duration window) {
            return new CompletableFuture<>();
        }

        @Override
        public CompletableFuture<List<Long>> addToWindows(List<WindowCount> counts) {
            return new CompletableFuture<>();
        }

        @Override
        public CompletableFuture<Integer> openSlot(String key, String slotId, Duration ttl) {
            return new CompletableFuture<>();
        }

        @Override
        public CompletableFuture<Void> closeSlot(String key, String slotId) {
            return new CompletableFuture<>();
        }

        @Override
        public String describe() {
            return "silent";
        }

        @Override
        public void close() {
        }
    }
}
