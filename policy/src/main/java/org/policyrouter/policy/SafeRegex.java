package org.policyrouter.policy;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * Compiles regexes from policy files with RE2J, whose matching time is linear in the address.
 * RE2J has no limit on the size of the compiled program, though: {@code ((a{1000}){1000}){1000}}
 * exhausts the heap while compiling, and {@code (a{1000}){1000}} takes milliseconds per
 * address. So the size once repetitions are expanded is bounded first, as RE2 itself does.
 */
final class SafeRegex {
    /** Room for a full-length line of alternatives ({@code (a.example|b.example|...)}), not for nested counts. */
    static final int MAX_EXPANDED_SIZE = 10_000;

    private SafeRegex() {
    }

    /**
     * @param shown how the operator wrote it, for the error message
     * @throws IllegalArgumentException with a message fit for a {@code file:line:} error
     */
    static Pattern compile(String regex, String shown) {
        if (expandedSize(regex) > MAX_EXPANDED_SIZE) {
            throw new IllegalArgumentException("regex " + shown + " is too large once its repetitions are expanded (limit "
                + MAX_EXPANDED_SIZE + ")");
        }
        try {
            return Pattern.compile(regex, Pattern.CASE_INSENSITIVE);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid regex " + shown + ": " + e.getDescription());
        }
    }

    /**
     * Roughly the number of instructions of the compiled program: one per atom, each counted
     * repetition multiplying what it repeats. Over-estimates rather than under-estimates; stops
     * counting once past the limit.
     */
    static long expandedSize(String regex) {
        long[] outer = new long[regex.length() + 1];
        int depth = 0;
        long current = 0;
        long last = 0;
        int i = 0;
        while (i < regex.length() && current <= MAX_EXPANDED_SIZE) {
            char c = regex.charAt(i);
            if (c == '(') {
                outer[depth++] = current;
                current = 0;
                i++;
                continue;
            }
            if (c == ')' && depth > 0) {
                last = current + 1;
                current = outer[--depth] + last;
                i++;
                continue;
            }
            if (c == '{') {
                int close = regex.indexOf('}', i);
                String bounds = close < 0 ? "" : regex.substring(i + 1, close);
                if (bounds.matches("[0-9]{1,4}(,[0-9]{0,4})?")) {
                    String[] parts = bounds.split(",", -1);
                    long copies = parts.length == 1 ? Long.parseLong(parts[0])
                        : parts[1].isEmpty() ? Long.parseLong(parts[0]) + 1 : Math.max(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
                    current += last * Math.max(copies - 1, 0);
                    last *= Math.max(copies, 1);
                    i = close + 1;
                    continue;
                }
            }
            if (c == '[') {
                i = endOfClass(regex, i);
            } else if (c == '\\' && i + 2 < regex.length() && regex.charAt(i + 2) == '{'
                && "pPx".indexOf(regex.charAt(i + 1)) >= 0) {
                int close = regex.indexOf('}', i);
                i = close < 0 ? regex.length() : close + 1;
            } else {
                i += c == '\\' ? 2 : 1;
            }
            last = 1;
            current += 1;
        }
        return current;
    }

    /**
     * Index just past the ']' closing the character class opened at {@code open} (or the end of
     * the text): a ']' first in the class is literal, escapes and {@code [:alpha:]} are skipped.
     */
    static int endOfClass(String regex, int open) {
        int i = open + 1;
        if (i < regex.length() && regex.charAt(i) == '^') {
            i++;
        }
        if (i < regex.length() && regex.charAt(i) == ']') {
            i++;
        }
        while (i < regex.length()) {
            char c = regex.charAt(i);
            if (c == '\\') {
                i += 2;
            } else if (c == '[' && i + 1 < regex.length() && regex.charAt(i + 1) == ':') {
                int end = regex.indexOf(":]", i + 2);
                i = end < 0 ? i + 1 : end + 2;
            } else if (c == ']') {
                return i + 1;
            } else {
                i++;
            }
        }
        return regex.length();
    }
}
