package org.policyrouter.hooks.core;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Keeps answers for their TTL (negative answers too, capped), and shares one in-flight query
 * between every check that asks the same question meanwhile (dnsbl at connect and again at
 * RCPT, many sessions from one client). Bounded: least recently used entries go first.
 */
public final class CachingDns implements Dns {
    private static final Duration MAX_TTL = Duration.ofHours(1);

    private final Dns delegate;
    private final int maxEntries;
    private final LongSupplier nanoClock;
    private final Map<String, Cached> entries;

    public CachingDns(Dns delegate, int maxEntries) {
        this(delegate, maxEntries, System::nanoTime);
    }

    CachingDns(Dns delegate, int maxEntries, LongSupplier nanoClock) {
        this.delegate = delegate;
        this.maxEntries = maxEntries;
        this.nanoClock = nanoClock;
        this.entries = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
                return size() > CachingDns.this.maxEntries;
            }
        };
    }

    @Override
    public CompletableFuture<DnsAnswer> query(String name, Type type) {
        String key = type + " " + name.toLowerCase(Locale.ROOT);
        long now = nanoClock.getAsLong();
        CompletableFuture<DnsAnswer> future;
        synchronized (entries) {
            Cached entry = entries.get(key);
            if (entry != null && (entry.expires == Long.MAX_VALUE || now - entry.expires < 0)) {
                return entry.answer;
            }
            future = delegate.query(name, type);
            entries.put(key, new Cached(future, Long.MAX_VALUE));
        }
        future.whenComplete((answer, error) -> {
            synchronized (entries) {
                Cached current = entries.get(key);
                if (current == null || current.answer != future) {
                    return;
                }
                Duration ttl = answer == null ? Duration.ZERO : min(answer.ttl(), MAX_TTL);
                if (ttl.isZero()) {
                    entries.remove(key);
                } else {
                    entries.put(key, new Cached(future, nanoClock.getAsLong() + ttl.toNanos()));
                }
            }
        });
        return future;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) < 0 ? a : b;
    }

    @Override
    public Duration timeout() {
        return delegate.timeout();
    }

    @Override
    public void close() {
        delegate.close();
    }

    private static final class Cached {
        private final CompletableFuture<DnsAnswer> answer;
        private final long expires;

        Cached(CompletableFuture<DnsAnswer> answer, long expires) {
            this.answer = answer;
            this.expires = expires;
        }
    }
}
