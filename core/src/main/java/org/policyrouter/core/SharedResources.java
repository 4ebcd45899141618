package org.policyrouter.core;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Objects that handlers (or mailets) with the same configuration share, such as a DNS resolver with
 * its threads or a greylisting store with its connection pool: created on first use, closed when the
 * last holder lets go. James calls each handler's {@code destroy()} when it stops, so a holder
 * releases its lease there and nothing shared outlives the server.
 */
public final class SharedResources<K, T extends AutoCloseable> {
    private final Map<K, Entry<T>> open = new HashMap<>();

    /** A lease on the object for {@code key}; {@code create} runs once, at the first {@link Lease#get()}. */
    public synchronized Lease<T> acquire(K key, Supplier<? extends T> create) {
        Entry<T> entry = open.computeIfAbsent(key, k -> new Entry<>(create));
        entry.leases++;
        return new Lease<>(this, key, entry);
    }

    /** How many objects are held now (created or not yet). */
    public synchronized int size() {
        return open.size();
    }

    /** The objects created so far and still held. */
    public synchronized List<T> created() {
        return open.values().stream().map(Entry::created).filter(Objects::nonNull).collect(Collectors.toList());
    }

    private void release(K key, Entry<T> entry) {
        T toClose;
        synchronized (this) {
            if (--entry.leases > 0 || open.get(key) != entry) {
                return;
            }
            open.remove(key);
            toClose = entry.created();
        }
        if (toClose != null) {
            try {
                toClose.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + key + ": " + e.getMessage(), e);
            }
        }
    }

    /** One holder's share: {@link #close()} once, when the holder is destroyed. */
    public static final class Lease<T extends AutoCloseable> implements AutoCloseable, Supplier<T> {
        private final SharedResources<?, T> owner;
        private final Object key;
        private final Entry<T> entry;
        private boolean closed;

        private <K> Lease(SharedResources<K, T> owner, K key, Entry<T> entry) {
            this.owner = owner;
            this.key = key;
            this.entry = entry;
        }

        @Override
        public T get() {
            synchronized (owner) {
                if (closed) {
                    throw new IllegalStateException(key + " was released");
                }
                return entry.get();
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public void close() {
            synchronized (owner) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            ((SharedResources<Object, T>) owner).release(key, entry);
        }
    }

    private static final class Entry<T> {
        private final Supplier<? extends T> create;
        private T value;
        private int leases;

        Entry(Supplier<? extends T> create) {
            this.create = create;
        }

        T get() {
            if (value == null) {
                value = create.get();
            }
            return value;
        }

        T created() {
            return value;
        }
    }
}
