package org.policyrouter.mailets;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import javax.inject.Singleton;

import org.policyrouter.core.SharedResources;
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
    private final SharedResources<Key, ReloadingPolicyTables> open = new SharedResources<>();

    Lease acquire(Path directory, Optional<String> ownDomain, Duration reloadInterval, long maxTableBytes)
        throws IOException, PolicyFileException {
        Key key = new Key(directory.toAbsolutePath().normalize(), ownDomain, maxTableBytes);
        SharedResources.Lease<ReloadingPolicyTables> lease = open.acquire(key, () -> openTables(key, reloadInterval));
        try {
            return new Lease(lease, lease.get());
        } catch (OpenFailed e) {
            lease.close();
            if (e.getCause() instanceof PolicyFileException) {
                throw (PolicyFileException) e.getCause();
            }
            throw (IOException) e.getCause();
        }
    }

    private static ReloadingPolicyTables openTables(Key key, Duration reloadInterval) {
        try {
            ReloadingPolicyTables tables = ReloadingPolicyTables.open(key.directory, key.ownDomain, key.maxTableBytes);
            if (!reloadInterval.isZero()) {
                tables.pollEvery(reloadInterval);
            }
            return tables;
        } catch (IOException | PolicyFileException e) {
            throw new OpenFailed(e);
        }
    }

    /** The directories open now whose last reload failed: why, with file and line. */
    List<String> reloadFailures() {
        return open.created().stream()
            .flatMap(tables -> tables.lastReloadFailure().map(failure -> tables.directory() + ": " + failure).stream())
            .collect(Collectors.toList());
    }

    /** Directories with at least one lease: what still has a poller. */
    int openDirectories() {
        return open.size();
    }

    /** A mailet's share of one directory's tables, returned in its destroy(). */
    static final class Lease implements AutoCloseable {
        private final SharedResources.Lease<ReloadingPolicyTables> lease;
        private final ReloadingPolicyTables tables;

        private Lease(SharedResources.Lease<ReloadingPolicyTables> lease, ReloadingPolicyTables tables) {
            this.lease = lease;
            this.tables = tables;
        }

        ReloadingPolicyTables tables() {
            return tables;
        }

        @Override
        public void close() {
            lease.close();
        }
    }

    /** Carries a checked failure to open the tables out of the shared resource's supplier. */
    private static final class OpenFailed extends RuntimeException {
        private OpenFailed(Exception cause) {
            super(cause);
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
