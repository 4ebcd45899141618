package org.policyrouter.mailets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * When a temporarily failed mail is tried again.
 *
 * <p>By default like Postfix's queue manager: the next delay is the time the mail has spent in the
 * queue so far, clamped to [minimal, maximal] backoff (Postfix: 300 s and 4000 s, i.e. 5, 10, 20,
 * 40 minutes, then every 67 minutes). Or an explicit list like Haraka's
 * {@code temp_fail_intervals}: {@code 1m, 5m*2, 1h*3} is 1 minute, twice 5 minutes, then hourly
 * (the last interval repeats). Either way a ±jitter spreads retries so that a flush or a
 * recovered next hop does not get every deferred mail at once (the thundering herd Postfix users
 * complain about).
 */
public final class RetrySchedule {
    private final Duration minimal;
    private final Duration maximal;
    private final List<Duration> intervals;
    private final double jitter;

    private RetrySchedule(Duration minimal, Duration maximal, List<Duration> intervals, double jitter) {
        if (jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("jitter must be between 0% and 99%");
        }
        this.minimal = minimal;
        this.maximal = maximal;
        this.intervals = intervals;
        this.jitter = jitter;
    }

    public static RetrySchedule ageBased(Duration minimal, Duration maximal, double jitter) {
        if (minimal.isNegative() || maximal.compareTo(minimal) < 0) {
            throw new IllegalArgumentException("maximal backoff " + maximal + " is below minimal backoff " + minimal);
        }
        return new RetrySchedule(minimal, maximal, List.of(), jitter);
    }

    public static RetrySchedule explicit(List<Duration> intervals, double jitter) {
        if (intervals.isEmpty()) {
            throw new IllegalArgumentException("an explicit retry schedule needs at least one interval");
        }
        return new RetrySchedule(Duration.ZERO, Duration.ZERO, List.copyOf(intervals), jitter);
    }

    /** Parses {@code 1m, 5m*2, 1h*3}: each item a duration, optionally repeated {@code *n} times. */
    public static List<Duration> parseIntervals(String text, Function<String, Duration> durations) {
        List<Duration> intervals = new ArrayList<>();
        for (String item : text.split(",")) {
            String trimmed = item.trim();
            if (trimmed.isEmpty()) {
                throw new IllegalArgumentException("empty item in retry schedule '" + text + "'");
            }
            String[] parts = trimmed.split("\\*", -1);
            if (parts.length > 2) {
                throw new IllegalArgumentException("'" + trimmed + "' is not an interval such as 5m or 5m*2");
            }
            int times = 1;
            if (parts.length == 2) {
                try {
                    times = Integer.parseInt(parts[1].trim());
                } catch (NumberFormatException e) {
                    times = 0;
                }
                if (times < 1 || times > 1000) {
                    throw new IllegalArgumentException("'" + trimmed + "': the repeat count must be 1 to 1000");
                }
            }
            intervals.addAll(Collections.nCopies(times, durations.apply(parts[0].trim())));
        }
        return intervals;
    }

    /**
     * The delay before the next attempt, after {@code failures} failed attempts (1 for the first)
     * of a mail that has been queued for {@code age}; {@code random} yields values in [0, 1).
     */
    public Duration nextDelay(int failures, Duration age, DoubleSupplier random) {
        Duration base;
        if (intervals.isEmpty()) {
            base = age.compareTo(minimal) < 0 ? minimal : age.compareTo(maximal) > 0 ? maximal : age;
        } else {
            base = intervals.get(Math.min(Math.max(failures, 1), intervals.size()) - 1);
        }
        double factor = 1 + jitter * (2 * random.getAsDouble() - 1);
        return Duration.ofMillis(Math.round(base.toMillis() * factor));
    }

    @Override
    public String toString() {
        String jitterText = ", jitter ±" + Math.round(jitter * 100) + "%";
        return intervals.isEmpty() ? "time in queue clamped to [" + minimal + ", " + maximal + "]" + jitterText : intervals + jitterText;
    }
}
