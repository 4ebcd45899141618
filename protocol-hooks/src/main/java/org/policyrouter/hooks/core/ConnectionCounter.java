package org.policyrouter.hooks.core;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open connections per client address. This node's count lives in memory (the default); a
 * cluster that wants one limit across nodes plugs in a shared implementation.
 */
public interface ConnectionCounter {
    /** Counts a new connection and returns how many are open from this address, this one included. */
    int open(InetAddress client);

    void close(InetAddress client);

    /** This JVM's connections. */
    final class InMemory implements ConnectionCounter {
        private final Map<InetAddress, Integer> counts = new ConcurrentHashMap<>();

        @Override
        public int open(InetAddress client) {
            return counts.merge(client, 1, Integer::sum);
        }

        @Override
        public void close(InetAddress client) {
            counts.computeIfPresent(client, (address, count) -> count <= 1 ? null : count - 1);
        }
    }
}
