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
        assertThat(HeldReplies.hold(() -> { })).isFalse();
    }

    @Test
    void waitsHeldDuringTheWorkComeBackInOrderWithItsResult() throws IOException {
        List<String> ran = new ArrayList<>();
        HeldReplies.Held<String> held = HeldReplies.during(() -> {
            assertThat(HeldReplies.hold(() -> ran.add("first"))).isTrue();
            assertThat(HeldReplies.hold(() -> ran.add("second"))).isTrue();
            return "250 ok";
        });

        assertThat(held.result()).isEqualTo("250 ok");
        assertThat(ran).isEmpty();
        for (HeldReplies.Wait wait : held.waits()) {
            wait.await();
        }
        assertThat(ran).containsExactly("first", "second");
        assertThat(HeldReplies.hold(() -> { })).isFalse();
    }

    @Test
    void anInnerScopeKeepsItsWaitsApartAndTheOuterOneIsBackAfterIt() {
        HeldReplies.Held<List<HeldReplies.Wait>> outer = HeldReplies.during(() -> {
            HeldReplies.hold(() -> { });
            HeldReplies.Held<String> inner = HeldReplies.during(() -> {
                HeldReplies.hold(() -> { });
                HeldReplies.hold(() -> { });
                return "inner";
            });
            assertThat(inner.waits()).hasSize(2);
            HeldReplies.hold(() -> { });
            return inner.waits();
        });

        assertThat(outer.waits()).hasSize(2);
    }

    @Test
    void whenTheWorkFailsWhatWasHeldStillRunsAndItsFailuresAreAttached() {
        List<String> ran = new ArrayList<>();

        assertThatThrownBy(() -> HeldReplies.during(() -> {
            HeldReplies.hold(() -> {
                throw new IOException("fsync failed");
            });
            HeldReplies.hold(() -> ran.add("second ran anyway"));
            throw new IllegalStateException("a later hook broke");
        }))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("a later hook broke")
            .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage).containsExactly("fsync failed"));
        assertThat(ran).containsExactly("second ran anyway");
        assertThat(HeldReplies.hold(() -> { })).isFalse();
    }
}
