package org.policyrouter.spool;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;

/**
 * The spool's fsyncs: on or off ({@code spool.fsync}); each group commit's sync timed
 * ({@value #TIMER}, the disk's share of the wait before a 250); and the first one that failed,
 * for the health check: from then on the spool acknowledges nothing until a restart (see
 * {@link GroupCommit}).
 */
final class Fsyncs {
    static final String TIMER = "policyrouter.spool.fsync";
    /** Untimed, for tests. */
    static final Fsyncs ON = untimed(true);

    private final boolean enabled;
    /** Null: not timed. */
    private final MetricFactory metrics;
    private volatile String failure;

    private Fsyncs(boolean enabled, MetricFactory metrics) {
        this.enabled = enabled;
        this.metrics = metrics;
    }

    static Fsyncs timed(boolean enabled, MetricFactory metrics) {
        return new Fsyncs(enabled, metrics);
    }

    static Fsyncs untimed(boolean enabled) {
        return new Fsyncs(enabled, null);
    }

    boolean enabled() {
        return enabled;
    }

    /** A group commit over {@code sync}, timed and watched for failure. */
    GroupCommit groupCommit(GroupCommit.Sync sync) {
        return new GroupCommit(() -> {
            TimeMetric timer = metrics == null ? null : metrics.timer(TIMER);
            try {
                sync.run();
            } catch (IOException | RuntimeException e) {
                if (failure == null) {
                    failure = "fsync failed at " + Instant.now() + ": " + e;
                }
                throw e;
            } finally {
                if (timer != null) {
                    timer.stopAndPublish();
                }
            }
        }, enabled);
    }

    /** The first failed fsync (when, what): the spool is fail-stop since. */
    Optional<String> failure() {
        return Optional.ofNullable(failure);
    }
}
