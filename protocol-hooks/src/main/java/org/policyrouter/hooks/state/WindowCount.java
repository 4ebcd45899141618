package org.policyrouter.hooks.state;

import java.time.Duration;
import java.util.Objects;

/** One addition of {@link StateStore#addToWindows}: {@code amount} to {@code key}'s counter in the current window of length {@code window}. */
public final class WindowCount {
    private final String key;
    private final long amount;
    private final Duration window;

    public WindowCount(String key, long amount, Duration window) {
        this.key = Objects.requireNonNull(key);
        this.amount = amount;
        this.window = Objects.requireNonNull(window);
    }

    public String key() {
        return key;
    }

    public long amount() {
        return amount;
    }

    public Duration window() {
        return window;
    }
}
