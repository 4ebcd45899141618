package org.policyrouter.hooks.reply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class DeferredRepliesTest {
    @Test
    void outsideTheHandlersScopeNothingCanBeDeferredSoTheCallerWaitsItself() {
        assertThat(DeferredReplies.defer(() -> { })).isFalse();
    }

    @Test
    void waitsDeferredDuringTheWorkComeBackInOrderWithItsResult() throws IOException {
        List<String> ran = new ArrayList<>();
        DeferredReplies.Deferred<String> deferred = DeferredReplies.during(() -> {
            assertThat(DeferredReplies.defer(() -> ran.add("first"))).isTrue();
            assertThat(DeferredReplies.defer(() -> ran.add("second"))).isTrue();
            return "250 ok";
        });

        assertThat(deferred.result).isEqualTo("250 ok");
        assertThat(ran).isEmpty();
        for (DeferredReplies.Wait wait : deferred.waits) {
            wait.await();
        }
        assertThat(ran).containsExactly("first", "second");
        assertThat(DeferredReplies.defer(() -> { })).isFalse();
    }

    @Test
    void anInnerScopeKeepsItsWaitsApartAndTheOuterOneIsBackAfterIt() {
        DeferredReplies.Deferred<List<DeferredReplies.Wait>> outer = DeferredReplies.during(() -> {
            DeferredReplies.defer(() -> { });
            DeferredReplies.Deferred<String> inner = DeferredReplies.during(() -> {
                DeferredReplies.defer(() -> { });
                DeferredReplies.defer(() -> { });
                return "inner";
            });
            assertThat(inner.waits).hasSize(2);
            DeferredReplies.defer(() -> { });
            return inner.waits;
        });

        assertThat(outer.waits).hasSize(2);
    }

    @Test
    void whenTheWorkFailsWhatWasDeferredStillRunsAndItsFailuresAreAttached() {
        List<String> ran = new ArrayList<>();

        assertThatThrownBy(() -> DeferredReplies.during(() -> {
            DeferredReplies.defer(() -> {
                throw new IOException("fsync failed");
            });
            DeferredReplies.defer(() -> ran.add("second ran anyway"));
            throw new IllegalStateException("a later hook broke");
        }))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("a later hook broke")
            .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage).containsExactly("fsync failed"));
        assertThat(ran).containsExactly("second ran anyway");
        assertThat(DeferredReplies.defer(() -> { })).isFalse();
    }
}
