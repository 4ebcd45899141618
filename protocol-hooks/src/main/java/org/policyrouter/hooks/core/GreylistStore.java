package org.policyrouter.hooks.core;

import java.util.Optional;

/**
 * Where greylisting remembers the triplets it has seen. Single node: {@link FileGreylistStore}
 * (embedded, survives restarts). Several James nodes behind one MX must share it:
 * {@link JdbcGreylistStore} on the database they already run. A lost race between two nodes only
 * costs one extra deferral, so stores need no transactions.
 */
public interface GreylistStore extends AutoCloseable {
    Optional<GreylistRecord> find(String key);

    /** Saves the record; the store may forget it once {@code record.expiresAtMillis()} has passed. */
    void save(String key, GreylistRecord record);

    void delete(String key);

    /** Ends what the store holds (threads, connections, files); called when no check uses it any more. */
    @Override
    default void close() {
    }

    /** A triplet's state: when it was last seen/accepted, how many deferrals and deliveries. */
    final class GreylistRecord {
        private final long timestampMillis;
        private final int blocked;
        private final int passed;
        private final long expiresAtMillis;

        public GreylistRecord(long timestampMillis, int blocked, int passed, long expiresAtMillis) {
            this.timestampMillis = timestampMillis;
            this.blocked = blocked;
            this.passed = passed;
            this.expiresAtMillis = expiresAtMillis;
        }

        public long timestampMillis() {
            return timestampMillis;
        }

        public int blocked() {
            return blocked;
        }

        /** Deliveries accepted; above zero means the triplet is white. */
        public int passed() {
            return passed;
        }

        public long expiresAtMillis() {
            return expiresAtMillis;
        }
    }
}
