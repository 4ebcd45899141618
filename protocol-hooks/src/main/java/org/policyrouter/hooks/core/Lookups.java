package org.policyrouter.hooks.core;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * DNS answers kept in a connection's notes: a lookup that depends only on the client is started
 * at connect and awaited by a later hook, for no longer than the rest of its own timeout.
 */
public final class Lookups {
    private Lookups() {
    }

    public static void start(Notes notes, String key, CompletableFuture<DnsAnswer> query, Duration bound) {
        notes.putPending(key, Notes.Pending.of(query.thenApply(Optional::of), bound));
    }

    /** The answer of a lookup started earlier, or TIMEOUT if none was started or it is late. */
    public static DnsAnswer await(Notes notes, String key) {
        return notes.get(key).filter(DnsAnswer.class::isInstance).map(DnsAnswer.class::cast).orElse(DnsAnswer.timeout());
    }

    public static DnsAnswer await(CompletableFuture<DnsAnswer> query, Duration bound) {
        return Deadline.after(bound).await(query).orElse(DnsAnswer.timeout());
    }
}
