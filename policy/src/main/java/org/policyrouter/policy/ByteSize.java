package org.policyrouter.policy;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as operators write them: {@code 16m}, {@code 16MB}, {@code 16MiB}, {@code 512k},
 * {@code 1g}, or plain bytes. Units are binary (k = 1,024), as in the JVM's {@code -Xmx}.
 */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,15})\\s*(?:([kmg])(?:i?b)?|b)?");

    private ByteSize() {
    }

    /** @throws IllegalArgumentException with a message naming the text */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size such as 16m, 512k or 1g");
        }
        long value = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        try {
            switch (unit) {
                case "k":
                    return Math.multiplyExact(value, 1024L);
                case "m":
                    return Math.multiplyExact(value, 1024L * 1024);
                case "g":
                    return Math.multiplyExact(value, 1024L * 1024 * 1024);
                default:
                    return value;
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
    }

    /** {@code 104857600 bytes (100.0 MiB)}: exact, and readable. */
    public static String describe(long bytes) {
        String readable;
        if (bytes >= 1024L * 1024 * 1024) {
            readable = String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
        } else if (bytes >= 1024L * 1024) {
            readable = String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        } else if (bytes >= 1024) {
            readable = String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        } else {
            return bytes + " bytes";
        }
        return bytes + " bytes (" + readable + ")";
    }
}
