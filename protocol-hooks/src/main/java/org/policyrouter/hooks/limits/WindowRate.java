package org.policyrouter.hooks.limits;

import java.time.Duration;

import org.policyrouter.core.Durations;
import org.policyrouter.hooks.core.Options;

/**
 * A rate limit as Haraka's {@code limit} plugin writes it: {@code 100/1h} is at most 100 in each
 * hour (fixed windows, counted on the shared store); the window is a duration ({@code 90s},
 * {@code 5m}, {@code 1h}, {@code 1d}; a number alone is seconds), {@code 0} turns it off.
 */
final class WindowRate {
    final long limit;
    final Duration window;
    private final String windowText;

    private WindowRate(long limit, Duration window, String windowText) {
        this.limit = limit;
        this.window = window;
        this.windowText = windowText;
    }

    /** The option's rate, or null when absent or 0. */
    static WindowRate option(Options options, String name) {
        String text = options.get(name).map(String::trim).orElse("0");
        if (text.equals("0")) {
            return null;
        }
        String[] parts = text.split("/", 2);
        try {
            long limit = Long.parseLong(parts[0]);
            Duration window = Durations.parse(parts.length == 2 ? parts[1] : "");
            if (limit < 1 || window.toMillis() < 1000) {
                throw new IllegalArgumentException();
            }
            return new WindowRate(limit, window, parts[1].trim());
        } catch (IllegalArgumentException e) {
            throw options.invalid(name, text, "COUNT/WINDOW (e.g. 100/1h; a window of 1s or more) or 0");
        }
    }

    @Override
    public String toString() {
        return limit + " per " + windowText;
    }
}
