package org.policyrouter.hooks.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which slots a node keeps for the same client's next connection, and that each is closed in the store soon after. */
class HeldSlotsTest {
    private final List<String> closed = new CopyOnWriteArrayList<>();
    private final HeldSlots slots = new HeldSlots(10, (key, id) -> closed.add(key + " " + id));

    @AfterEach
    void close() {
        slots.close();
    }

    private static HeldSlots.Slot opened(String id, int count) {
        return HeldSlots.Slot.asked(id).admitted(count);
    }

    @Test
    void farFromTheLimitASlotIsHeldForTheNextConnectionOfItsNetwork() {
        slots.release("conn:192.0.2.7", opened("a", 5));

        assertThat(slots.take("conn:192.0.2.8")).as("another network").isEmpty();
        assertThat(slots.take("conn:192.0.2.7")).get().extracting(slot -> slot.id).isEqualTo("a");
        assertThat(slots.take("conn:192.0.2.7")).as("handed out once").isEmpty();
        assertThat(closed).isEmpty();
    }

    @Test
    void pastHalfTheConcurrencyASlotIsClosedAtOnce() {
        slots.release("conn:192.0.2.7", opened("a", 6));

        assertThat(closed).containsExactly("conn:192.0.2.7 a");
        assertThat(slots.take("conn:192.0.2.7")).isEmpty();
    }

    @Test
    void aSlotWhoseCountIsOlderThanTheHoldIsClosedAtOnce() {
        long longAgo = System.nanoTime() - HeldSlots.HOLD.toNanos() - 1;
        slots.release("conn:192.0.2.7", new HeldSlots.Slot("a", longAgo, 1, longAgo));

        assertThat(closed).containsExactly("conn:192.0.2.7 a");
    }

    @Test
    void aRefusedConnectionsSlotIsClosedAtOnce() {
        slots.release("conn:192.0.2.7", HeldSlots.Slot.asked("a"));

        assertThat(closed).containsExactly("conn:192.0.2.7 a");
    }

    @Test
    void anIdleSlotIsClosedInTheStoreAfterTheHold() {
        slots.release("conn:192.0.2.7", opened("a", 1));
        long released = System.nanoTime();

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !closed.isEmpty());

        assertThat(Duration.ofNanos(System.nanoTime() - released)).isGreaterThanOrEqualTo(HeldSlots.HOLD);
        assertThat(closed).containsExactly("conn:192.0.2.7 a");
        assertThat(slots.take("conn:192.0.2.7")).isEmpty();
        assertThat(slots.size()).isZero();
    }

    @Test
    void closingTheCheckClosesEveryHeldSlot() {
        slots.release("conn:192.0.2.7", opened("a", 1));
        slots.release("conn:192.0.2.9", opened("b", 2));

        slots.close();
        slots.release("conn:192.0.2.7", opened("c", 1));

        assertThat(closed).containsExactlyInAnyOrder("conn:192.0.2.7 a", "conn:192.0.2.9 b", "conn:192.0.2.7 c");
    }
}
