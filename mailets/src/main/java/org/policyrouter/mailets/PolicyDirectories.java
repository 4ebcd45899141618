package org.policyrouter.mailets;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import javax.inject.Singleton;

import org.policyrouter.policy.PolicyFileException;
import org.policyrouter.policy.ReloadingPolicyTables;

/**
 * One reloading view per policy directory, shared by every mailet of one James server that reads
 * it (RewriteAddresses, RoutePolicy, ResolveAliases): one poller, and one version of the tables
 * for all of them. One instance per James server (a Guice singleton of its injector), not per JVM:
 * a second server in the same JVM gets its own. Mailets take a lease in init() and return it in
 * destroy(), which James calls when it stops; the last one out stops the poller thread.
 */
@Singleton
public final class PolicyDirectories {
    private final Map<Key, Entry> open = new HashMap<>();

    synchronized Lease acquire(Path directory, Optional<String> ownDomain, Duration reloadInterval, long maxTableBytes)
        throws IOException, PolicyFileException {
        Key key = new Key(directory.toAbsolutePath().normalize(), ownDomain, maxTableBytes);
        Entry entry = open.get(key);
        if (entry == null) {
            ReloadingPolicyTables tables = ReloadingPolicyTables.open(key.directory, ownDomain, maxTableBytes);
            if (!reloadInterval.isZero()) {
                tables.pollEvery(reloadInterval);
            }
            entry = new Entry(tables);
            open.put(key, entry);
        }
        entry.leases++;
        return new Lease(key, entry.tables);
    }

    private synchronized void release(Key key) {
        Entry entry = open.get(key);
        if (entry != null && --entry.leases == 0) {
            open.remove(key);
            entry.tables.close();
        }
    }

    /** Directories with at least one lease: what still has a poller. */
    synchronized int openDirectories() {
        return open.size();
    }

    final class Lease implements AutoCloseable {
        private final Key key;
        private final ReloadingPolicyTables tables;
        private boolean closed;

        private Lease(Key key, ReloadingPolicyTables tables) {
            this.key = key;
            this.tables = tables;
        }

        ReloadingPolicyTables tables() {
            return tables;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release(key);
            }
        }
    }

    private static final class Entry {
        private final ReloadingPolicyTables tables;
        private int leases;

        private Entry(ReloadingPolicyTables tables) {
            this.tables = tables;
        }
    }

    private static final class Key {
        private final Path directory;
        private final Optional<String> ownDomain;
        private final long maxTableBytes;

        private Key(Path directory, Optional<String> ownDomain, long maxTableBytes) {
            this.directory = directory;
            this.ownDomain = ownDomain;
            this.maxTableBytes = maxTableBytes;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key && ((Key) o).directory.equals(directory) && ((Key) o).ownDomain.equals(ownDomain)
                && ((Key) o).maxTableBytes == maxTableBytes;
        }

        @Override
        public int hashCode() {
            return Objects.hash(directory, ownDomain, maxTableBytes);
        }
    }
}
