package org.policyrouter.mailets;

import java.time.Duration;
import java.util.Locale;

import javax.mail.MessagingException;

import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.ByteSize;

/** Typed reading of mailet parameters that fails fast with the parameter's name. */
final class MailetParameters {
    private MailetParameters() {
    }

    /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, or plain milliseconds. */
    static Duration duration(GenericMailet mailet, String name, Duration defaultValue) throws MessagingException {
        String text = mailet.getInitParameter(name);
        if (text == null || text.isBlank()) {
            return defaultValue;
        }
        try {
            return parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw new MessagingException(mailet.getMailetName() + ": parameter " + name + ": " + e.getMessage());
        }
    }

    /** {@code 16m}, {@code 512k}, {@code 1g} or plain bytes (binary units, as {@code -Xmx}). */
    static long size(GenericMailet mailet, String name, long defaultValue) throws MessagingException {
        String text = mailet.getInitParameter(name);
        if (text == null || text.isBlank()) {
            return defaultValue;
        }
        try {
            return ByteSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new MessagingException(mailet.getMailetName() + ": parameter " + name + ": " + e.getMessage());
        }
    }

    static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,12})\\s*(ms|s|m|h|d)?").matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration such as 30s, 5m, 2h");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        switch (unit) {
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            default:
                return Duration.ofDays(n);
        }
    }
}
