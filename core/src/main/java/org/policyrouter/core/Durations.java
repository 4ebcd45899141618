package org.policyrouter.core;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

import org.apache.james.util.DurationParser;

/**
 * The one duration syntax of every option we read (mailet parameters, handler options, the qpsmtpd
 * plugins file, spp): James's own {@link DurationParser} grammar, so an operator writes our options
 * as James's ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, {@code 1w}; also
 * {@code msec}, {@code sec}, {@code min}, {@code hour}, {@code day}, {@code week}, {@code month},
 * {@code year} and their plurals; a whole number, optionally followed by a space). A number
 * alone is seconds, as qpsmtpd, qmail and Postfix operators write timeouts (James's own default
 * unit, milliseconds, made {@code <timeout>300</timeout>} 0.3 s on a mailet and 5 minutes on a
 * handler). A decimal number alone ({@code 0.5}) is also seconds, as qpsmtpd's options allow.
 */
public final class Durations {
    /** The unit of a number written without one. */
    public static final ChronoUnit BARE_NUMBER_UNIT = ChronoUnit.SECONDS;
    public static final String EXPECTED = "a duration such as 30s, 500ms, 5m, 2h or 1d (a number alone is seconds)";

    private static final Pattern DECIMAL_SECONDS = Pattern.compile("\\s*[0-9]{1,9}\\.[0-9]{1,9}\\s*");

    private Durations() {
    }

    /** The duration {@code text} means; zero is allowed, a negative or malformed one is not. */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no value: expected " + EXPECTED);
        }
        if (DECIMAL_SECONDS.matcher(text).matches()) {
            return Duration.ofMillis(Math.round(Double.parseDouble(text.trim()) * 1000));
        }
        try {
            return DurationParser.parse(text, BARE_NUMBER_UNIT);
        } catch (IllegalArgumentException e) {
            // NumberFormatException (bad number or unit) is one too; negative amounts come from Guava
            throw new IllegalArgumentException("\"" + text + "\" is not " + EXPECTED, e);
        }
    }

    /** {@link #parse(String)} with an error that names where the value came from, e.g. the mailet and parameter. */
    public static Duration parse(String text, String where) {
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }
}
