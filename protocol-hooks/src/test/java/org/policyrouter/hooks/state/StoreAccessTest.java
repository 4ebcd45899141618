package org.policyrouter.hooks.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.policyrouter.core.SharedResources;
import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * How a check waits for its store: never longer than its timeout, its failure policy when the
 * store fails, one log line per outage, and the store used again once it answers. The engine is a
 * double that can stop answering, as a frozen server does; the real engines are frozen with
 * SIGSTOP in their own tests and in the cluster ITs.
 */
class StoreAccessTest {
    private static final Duration TIMEOUT = Duration.ofMillis(300);

    private final FreezableStore engine = new FreezableStore();
    private final SharedResources<String, SharedStore> stores = new SharedResources<>();
    private final Logger outageLogger = (Logger) LoggerFactory.getLogger(StoreOutage.class);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    StoreAccessTest() {
        log.start();
        outageLogger.addAppender(log);
    }

    @AfterEach
    void detach() {
        outageLogger.detachAppender(log);
    }

    private StoreAccess access(StoreFailure failure) {
        return new StoreAccess(stores.acquire("test", () -> new SharedStore(engine)), TIMEOUT, failure);
    }

    private static Optional<Long> count(StoreAccess access) {
        return access.await(access.deadline(), access.start(store -> store.addToWindow("k", 1, Duration.ofMinutes(1))));
    }

    private List<String> lines() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    @Test
    void aSilentStoreCostsTheHookAtMostItsTimeout() {
        StoreAccess access = access(StoreFailure.ACCEPT);
        engine.frozen.set(true);

        long start = System.nanoTime();
        Optional<Long> answer = count(access);
        Duration waited = Duration.ofNanos(System.nanoTime() - start);

        assertThat(answer).isEmpty();
        assertThat(waited).isBetween(TIMEOUT.minusMillis(10), TIMEOUT.plusMillis(250));
    }

    @Test
    void theFailurePolicyIsTheCheckAnswer() {
        assertThat(access(StoreFailure.ACCEPT).failureVerdict()).isEqualTo(Verdict.DECLINED);
        Verdict tempfail = access(StoreFailure.TEMPFAIL).failureVerdict();
        assertThat(tempfail.code()).isEqualTo(ReturnCode.DENYSOFT);
        assertThat(tempfail.statusDetail()).contains("3.0");
        assertThat(tempfail.message()).contains("Temporarily unable to check, try again later");
    }

    @Test
    void duringAnOutageCallsFailAtOnceButOneProbeASecondAndTheOutageIsLoggedOnce() throws InterruptedException {
        StoreAccess access = access(StoreFailure.ACCEPT);
        engine.frozen.set(true);
        count(access);
        int reachedAfterFirst = engine.calls.get();

        long start = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            assertThat(count(access)).isEmpty();
        }
        Duration hundredCalls = Duration.ofNanos(System.nanoTime() - start);

        assertThat(hundredCalls).as("refused without waiting").isLessThan(TIMEOUT);
        assertThat(engine.calls.get()).isEqualTo(reachedAfterFirst);
        assertThat(lines()).hasSize(1);
        assertThat(lines().get(0)).startsWith("state store freezable unavailable: no answer within 300 ms;");

        engine.frozen.set(false);
        Thread.sleep(StoreOutage.PROBE_INTERVAL.toMillis() + 50);

        assertThat(count(access)).as("the probe reaches the store again").isPresent();
        assertThat(count(access)).isPresent();
        assertThat(lines()).hasSize(2);
        assertThat(lines().get(1)).startsWith("state store freezable answers again after");
    }

    @Test
    void oneDeadlineCoversEveryCallOfAHook() {
        StoreAccess access = access(StoreFailure.ACCEPT);
        engine.frozen.set(true);
        Deadline deadline = access.deadline();
        CompletableFuture<Long> first = engine.addToWindow("a", 1, Duration.ofMinutes(1));
        CompletableFuture<Long> second = engine.addToWindow("b", 1, Duration.ofMinutes(1));

        long start = System.nanoTime();
        access.await(deadline, first);
        access.await(deadline, second);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusMillis(250));
    }

    @Test
    void aFailingWriteNobodyWaitsForStillStartsTheOutage() {
        StoreAccess access = access(StoreFailure.ACCEPT);
        engine.failing.set(true);

        access.send(store -> store.closeSlot("k", "slot"));

        assertThat(lines()).singleElement().asString().contains("connection refused");
    }

    /** Answers at once, fails at once, or never answers, as told. */
    private static final class FreezableStore implements StateStore {
        final AtomicBoolean frozen = new AtomicBoolean();
        final AtomicBoolean failing = new AtomicBoolean();
        final AtomicInteger calls = new AtomicInteger();
        private long total;

        private <T> CompletableFuture<T> answer(T value) {
            calls.incrementAndGet();
            if (failing.get()) {
                return CompletableFuture.failedFuture(new IllegalStateException("connection refused"));
            }
            return frozen.get() ? new CompletableFuture<>() : CompletableFuture.completedFuture(value);
        }

        @Override
        public CompletableFuture<Optional<GreylistRecord>> findTriplet(String key) {
            return answer(Optional.empty());
        }

        @Override
        public CompletableFuture<Void> saveTriplet(String key, GreylistRecord record) {
            return answer(null);
        }

        @Override
        public synchronized CompletableFuture<Long> addToWindow(String key, long amount, Duration window) {
            return answer(total += amount);
        }

        @Override
        public CompletableFuture<Integer> openSlot(String key, String slotId, Duration ttl) {
            return answer(1);
        }

        @Override
        public CompletableFuture<Void> closeSlot(String key, String slotId) {
            return answer(null);
        }

        @Override
        public String describe() {
            return "freezable";
        }

        @Override
        public void close() {
        }
    }
}
