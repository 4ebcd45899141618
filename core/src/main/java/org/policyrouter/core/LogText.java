package org.policyrouter.core;

/**
 * Text from outside (SMTP commands and addresses, HELO names, plugin output, remote replies) made
 * safe for one log line: control characters (C0 including CR, LF and tab, DEL, C1) become
 * {@code \xNN} and the Unicode line and paragraph separators {@code \\u2028}, {@code \\u2029}, so a
 * client cannot write a NUL or an escape sequence into the log, nor forge a line of its own. Text
 * without any of them is returned as it is, without a copy: this runs for every logged client line.
 */
public final class LogText {
    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    private LogText() {
    }

    public static String escape(Object text) {
        return escape(String.valueOf(text), false);
    }

    /**
     * The same, but line feeds and tabs are kept: for multi-line text whose structure is ours (a
     * stack trace), where only the characters inside its lines come from outside.
     */
    public static String escapeKeepingLines(String text) {
        return escape(text, true);
    }

    private static String escape(String text, boolean keepLines) {
        int first = firstToEscape(text, 0, keepLines);
        if (first < 0) {
            return text;
        }
        StringBuilder escaped = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!needsEscape(c, keepLines)) {
                escaped.append(c);
            } else if (c <= 0xff) {
                escaped.append("\\x").append(HEX_DIGITS[c >> 4]).append(HEX_DIGITS[c & 0xf]);
            } else {
                escaped.append("\\u").append(HEX_DIGITS[c >> 12]).append(HEX_DIGITS[(c >> 8) & 0xf])
                    .append(HEX_DIGITS[(c >> 4) & 0xf]).append(HEX_DIGITS[c & 0xf]);
            }
        }
        return escaped.toString();
    }

    private static int firstToEscape(String text, int from, boolean keepLines) {
        for (int i = from; i < text.length(); i++) {
            if (needsEscape(text.charAt(i), keepLines)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean needsEscape(char c, boolean keepLines) {
        if (c >= 0x20 && c < 0x7f) {
            return false;
        }
        if (keepLines && (c == '\n' || c == '\t')) {
            return false;
        }
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }
}
