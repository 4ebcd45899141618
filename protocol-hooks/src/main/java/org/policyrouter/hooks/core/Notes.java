package org.policyrouter.hooks.core;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;

/**
 * qpsmtpd's connection or transaction notes: named values shared between checks. A note may be
 * pending, i.e. the answer of a DNS lookup started earlier (dns_whitelist_soft's
 * {@code whitelisthost}); reading it waits for the answer, at most until its deadline.
 */
public final class Notes {
    private final Map<String, Object> values = new ConcurrentHashMap<>();

    public void put(String name, Object value) {
        if (value == null) {
            values.remove(name);
        } else {
            values.put(name, value);
        }
    }

    /** A note whose value arrives later; {@code get} waits for it until {@code deadline} at most. */
    public void putPending(String name, Pending<?> pending) {
        values.put(name, pending);
    }

    public void remove(String name) {
        values.remove(name);
    }

    /** The note's value; a pending note is awaited (bounded) and then replaced by its value. */
    public Optional<Object> get(String name) {
        Object value = values.get(name);
        if (value instanceof Pending) {
            Optional<?> resolved = ((Pending<?>) value).await();
            if (resolved.isPresent()) {
                values.replace(name, value, resolved.get());
            } else {
                values.remove(name, value);
            }
            return resolved.map(Object.class::cast);
        }
        return Optional.ofNullable(value);
    }

    /** Perl truth of a note: absent, empty, "0" and false are false. */
    public boolean isTrue(String name) {
        return get(name).map(Notes::truth).orElse(false);
    }

    public Optional<String> string(String name) {
        return get(name).map(String::valueOf);
    }

    public void clear() {
        values.clear();
    }

    private static boolean truth(Object value) {
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        if (value instanceof Number) {
            return ((Number) value).doubleValue() != 0;
        }
        String text = String.valueOf(value);
        return !text.isEmpty() && !text.equals("0");
    }

    /** A value computed in the background (a DNS answer), awaited at most until a deadline. */
    public static final class Pending<T> {
        private final Future<Optional<T>> future;
        private final Deadline deadline;

        public Pending(Future<Optional<T>> future, Deadline deadline) {
            this.future = future;
            this.deadline = deadline;
        }

        public Optional<T> await() {
            return deadline.await(future).flatMap(v -> v);
        }

        public static <T> Pending<T> of(Future<Optional<T>> future, Duration bound) {
            return new Pending<>(future, Deadline.after(bound));
        }
    }
}
