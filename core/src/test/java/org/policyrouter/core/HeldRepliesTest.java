package org.policyrouter.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class HeldRepliesTest {
    @Test
    void outsideTheHandlersScopeNothingCanBeHeldSoTheQueueWaitsItself() {
        assertThat(HeldReplies.hold("Q1", () -> { })).isFalse();
    }

    @Test
    void waitsHeldDuringTheWorkComeBackInOrderWithItsResultAndQueueIds() throws IOException {
        List<String> ran = new ArrayList<>();
        HeldReplies.Held<String> held = HeldReplies.during(() -> {
            assertThat(HeldReplies.hold("Q1", () -> ran.add("first"))).isTrue();
            assertThat(HeldReplies.hold("Q2", () -> ran.add("second"))).isTrue();
            return "250 ok";
        });

        assertThat(held.result()).isEqualTo("250 ok");
        assertThat(held.queueIds()).containsExactly("Q1", "Q2");
        assertThat(ran).isEmpty();
        for (HeldReplies.Wait wait : held.waits()) {
            wait.await();
        }
        assertThat(ran).containsExactly("first", "second");
        assertThat(HeldReplies.hold("Q3", () -> { })).isFalse();
    }

    @Test
    void anInnerScopeKeepsItsWaitsApartAndTheOuterOneIsBackAfterIt() {
        HeldReplies.Held<List<HeldReplies.Wait>> outer = HeldReplies.during(() -> {
            HeldReplies.hold(null, () -> { });
            HeldReplies.Held<String> inner = HeldReplies.during(() -> {
                HeldReplies.hold("A", () -> { });
                HeldReplies.hold("B", () -> { });
                return "inner";
            });
            assertThat(inner.waits()).hasSize(2);
            HeldReplies.hold(null, () -> { });
            return inner.waits();
        });

        assertThat(outer.waits()).hasSize(2);
        assertThat(outer.queueIds()).isEmpty();
    }

    @Test
    void whenTheWorkFailsWhatWasHeldStillRunsAndItsFailuresAreAttached() {
        List<String> ran = new ArrayList<>();

        assertThatThrownBy(() -> HeldReplies.during(() -> {
            HeldReplies.hold("Q1", () -> {
                throw new IOException("fsync failed");
            });
            HeldReplies.hold("Q2", () -> ran.add("second ran anyway"));
            throw new IllegalStateException("a later hook broke");
        }))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("a later hook broke")
            .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage).containsExactly("fsync failed"));
        assertThat(ran).containsExactly("second ran anyway");
        assertThat(HeldReplies.hold("Q3", () -> { })).isFalse();
    }
}
