package org.policyrouter.hooks.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * What every {@link StateStore} must do, whatever its engine: the embedded store, PostgreSQL and
 * Redis pass the same tests, so greylisting and the limits behave the same on each. An
 * implementation's test provides the store (one per test class) and keeps the keys apart with
 * {@link #key(String)}.
 */
public interface StateStoreContract {
    StateStore store();

    /** A key no other test uses, so one store serves the whole class. */
    default String key(String what) {
        return what + "/" + UUID.randomUUID();
    }

    static <T> T answer(CompletableFuture<T> call) {
        try {
            return call.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the store did not answer: " + e, e);
        }
    }

    @Test
    default void anUnknownTripletIsAbsent() {
        assertThat(answer(store().findTriplet(key("192.0.2.1")))).isEmpty();
    }

    @Test
    default void aSavedTripletIsFoundWithEveryField() {
        String key = key("192.0.2.1/sender@example.org/rcpt@example.net");
        long now = System.currentTimeMillis();
        GreylistRecord record = new GreylistRecord(now, 3, 2, now + 60_000);
        answer(store().saveTriplet(key, record));
        assertThat(answer(store().findTriplet(key))).contains(record);
    }

    @Test
    default void aSavedTripletReplacesTheOldOne() {
        String key = key("192.0.2.2");
        long now = System.currentTimeMillis();
        answer(store().saveTriplet(key, new GreylistRecord(now, 1, 0, now + 60_000)));
        GreylistRecord white = new GreylistRecord(now + 1, 1, 1, now + 120_000);
        answer(store().saveTriplet(key, white));
        assertThat(answer(store().findTriplet(key))).contains(white);
    }

    /** Greylisting does not wait for its saves: the next read of the triplet must still see them. */
    @Test
    default void aReadAfterASaveNotYetAnsweredSeesTheSave() {
        long now = System.currentTimeMillis();
        for (int i = 0; i < 20; i++) {
            String key = key("192.0.2.11/ordered");
            GreylistRecord record = new GreylistRecord(now, 1, i, now + 60_000);
            CompletableFuture<Void> save = store().saveTriplet(key, record);
            CompletableFuture<java.util.Optional<GreylistRecord>> read = store().findTriplet(key);
            assertThat(answer(read)).contains(record);
            answer(save);
        }
    }

    @Test
    default void anExpiredTripletIsForgotten() throws InterruptedException {
        String key = key("192.0.2.3");
        long now = System.currentTimeMillis();
        answer(store().saveTriplet(key, new GreylistRecord(now, 1, 0, now + 300)));
        assertThat(answer(store().findTriplet(key))).isPresent();
        Thread.sleep(1200);
        assertThat(answer(store().findTriplet(key))).isEmpty();
    }

    @Test
    default void keysWithOddCharactersStayApart() {
        long now = System.currentTimeMillis();
        String a = key("2001:db8::1/\"quoted local\"@example.org/r%x@example.net");
        String b = key("2001:db8::1/*@example.org/r_x@example.net");
        answer(store().saveTriplet(a, new GreylistRecord(now, 1, 0, now + 60_000)));
        assertThat(answer(store().findTriplet(a))).isPresent();
        assertThat(answer(store().findTriplet(b))).isEmpty();
    }

    @Test
    default void aWindowCountsWhatIsAdded() {
        String key = key("rcpt/192.0.2.4");
        Duration window = Duration.ofHours(1);
        assertThat(answer(store().addToWindow(key, 1, window))).isEqualTo(1);
        assertThat(answer(store().addToWindow(key, 4, window))).isEqualTo(5);
        assertThat(answer(store().addToWindow(key("rcpt/192.0.2.5"), 1, window))).isEqualTo(1);
    }

    @Test
    default void concurrentAdditionsAreAllCounted() {
        String key = key("msg/192.0.2.6");
        List<CompletableFuture<Long>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(store().addToWindow(key, 1, Duration.ofHours(1)));
        }
        List<Long> totals = new ArrayList<>();
        calls.forEach(call -> totals.add(answer(call)));
        // every addition saw a different total: none was lost or applied twice
        assertThat(totals).containsExactlyInAnyOrderElementsOf(
            java.util.stream.LongStream.rangeClosed(1, 50).boxed().collect(java.util.stream.Collectors.toList()));
    }

    @Test
    default void severalCountersAtOnceAnswerInTheirOrder() {
        String host = key("msg_host/192.0.2.9");
        String sender = key("msg_sender/a@example.org");
        Duration hour = Duration.ofHours(1);
        answer(store().addToWindow(sender, 7, hour));
        assertThat(answer(store().addToWindows(List.of(new WindowCount(host, 2, hour), new WindowCount(sender, 1, hour)))))
            .containsExactly(2L, 8L);
        // the same key twice in one call: the first addition answers without the second
        assertThat(answer(store().addToWindows(List.of(new WindowCount(host, 1, hour), new WindowCount(host, 3, hour)))))
            .containsExactly(3L, 6L);
        // the same key in another window is another counter
        assertThat(answer(store().addToWindows(List.of(new WindowCount(host, 1, Duration.ofMinutes(10)))))).containsExactly(1L);
        assertThat(answer(store().addToWindow(host, 0, hour))).isEqualTo(6);
    }

    /** Two keys added in opposite orders by concurrent calls: none deadlocks, none is lost. */
    @Test
    default void concurrentCallsOnTheSameCountersAreAllCounted() {
        String a = key("rcpt_host/192.0.2.10");
        String b = key("rcpt_sender/b@example.org");
        Duration hour = Duration.ofHours(1);
        List<CompletableFuture<List<Long>>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            calls.add(store().addToWindows(i % 2 == 0
                ? List.of(new WindowCount(a, 1, hour), new WindowCount(b, 1, hour))
                : List.of(new WindowCount(b, 1, hour), new WindowCount(a, 1, hour))));
        }
        calls.forEach(StateStoreContract::answer);
        assertThat(answer(store().addToWindows(List.of(new WindowCount(a, 0, hour), new WindowCount(b, 0, hour)))))
            .containsExactly(40L, 40L);
    }

    @Test
    default void aNewWindowStartsFromZero() throws InterruptedException {
        String key = key("conn/192.0.2.7");
        Duration window = Duration.ofSeconds(1);
        answer(store().addToWindow(key, 3, window));
        Thread.sleep(2100);
        assertThat(answer(store().addToWindow(key, 1, window))).isEqualTo(1);
    }

    @Test
    default void slotsCountOpenConnectionsOncePerSlot() {
        String key = key("192.0.2.8");
        Duration ttl = Duration.ofMinutes(10);
        assertThat(answer(store().openSlot(key, "node-a:1", ttl))).isEqualTo(1);
        assertThat(answer(store().openSlot(key, "node-b:1", ttl))).isEqualTo(2);
        // a refresh of the same slot counts it once
        assertThat(answer(store().openSlot(key, "node-a:1", ttl))).isEqualTo(2);
        answer(store().closeSlot(key, "node-a:1"));
        assertThat(answer(store().openSlot(key, "node-a:2", ttl))).isEqualTo(2);
        answer(store().closeSlot(key, "node-a:2"));
        answer(store().closeSlot(key, "node-b:1"));
        assertThat(answer(store().openSlot(key, "node-c:1", ttl))).isEqualTo(1);
    }

    @Test
    default void closingAnUnknownSlotChangesNothing() {
        String key = key("192.0.2.9");
        answer(store().closeSlot(key, "never-opened"));
        assertThat(answer(store().openSlot(key, "node-a:1", Duration.ofMinutes(1)))).isEqualTo(1);
    }

    @Test
    default void aSlotNotClosedIsForgottenAfterItsTimeToLive() throws InterruptedException {
        String key = key("192.0.2.10");
        answer(store().openSlot(key, "dead-node:1", Duration.ofMillis(500)));
        Thread.sleep(1200);
        assertThat(answer(store().openSlot(key, "node-a:1", Duration.ofMinutes(1)))).isEqualTo(1);
    }

    @Test
    default void theDescriptionNamesTheEngineWithoutAPassword() {
        assertThat(store().describe()).isNotBlank().doesNotContain("secret");
    }
}
