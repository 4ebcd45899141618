package org.policyrouter.hooks.core;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Asynchronous DNS for the checks. Every answer arrives within {@link #timeout()} (as TIMEOUT if
 * the server is silent), so a hook that awaits it never blocks longer than that.
 */
public interface Dns extends AutoCloseable {
    enum Type { A, AAAA, TXT, MX, PTR }

    CompletableFuture<DnsAnswer> query(String name, Type type);

    Duration timeout();

    /** Ends the resolver's threads and sockets; called when the last check using it is destroyed. */
    @Override
    default void close() {
    }
}
