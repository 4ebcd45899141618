package org.policyrouter.policy;

import java.util.Locale;
import java.util.Optional;

/**
 * The longest run of characters that every match of an RE2 regex must contain, lower-cased:
 * {@code .*spl-[0-9]{6}\.foo.bar} gives {@code spl-}. The lookup index uses it to skip, in one
 * pass over an address, every regex whose literal the address lacks.
 *
 * <p>Conservative by construction: anything not understood (top-level alternation, {@code \Q},
 * numeric escapes, an odd {@code {}) yields no literal, and such a regex is always evaluated.
 * Only ASCII characters are taken, because RE2's case folding maps some ASCII letters to
 * non-ASCII ones (k to the Kelvin sign, s to the long s) that lower-casing does not.
 */
final class RequiredLiteral {
    private final String regex;
    private final StringBuilder run = new StringBuilder();
    private String longest = "";
    private int pos;

    private RequiredLiteral(String regex) {
        this.regex = regex;
    }

    /** @param regex a pattern that RE2J has already compiled (so brackets balance) */
    static Optional<String> of(String regex) {
        try {
            return new RequiredLiteral(regex).scan();
        } catch (Unsupported | StringIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    private Optional<String> scan() {
        while (pos < regex.length()) {
            boolean literal = atom();
            quantifier(literal);
        }
        endRun();
        return longest.isEmpty() ? Optional.empty() : Optional.of(longest);
    }

    /** Consumes one atom; true when it appended one literal character to the current run. */
    private boolean atom() {
        char c = regex.charAt(pos);
        switch (c) {
            case '|':
                // a top-level alternative need not contain the literal
                throw new Unsupported();
            case '(':
                pos = skipGroup(pos);
                endRun();
                return false;
            case '[':
                pos = SafeRegex.endOfClass(regex, pos);
                endRun();
                return false;
            case '.':
            case '^':
            case '$':
                pos++;
                endRun();
                return false;
            case '\\':
                return escape();
            case '*':
            case '+':
            case '?':
            case '{':
                // a quantifier where no atom precedes it: not valid RE2, never expected here
                throw new Unsupported();
            default:
                pos++;
                return literal(c);
        }
    }

    private boolean escape() {
        char d = regex.charAt(pos + 1);
        if (d < 128 && !Character.isLetterOrDigit(d)) {
            pos += 2;
            return literal(d);
        }
        switch (d) {
            case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
            case 'b': case 'B': case 'A': case 'z':
                pos += 2;
                endRun();
                return false;
            case 'p': case 'P':
                pos = regex.charAt(pos + 2) == '{' ? closing(pos + 2, '}') + 1 : pos + 3;
                endRun();
                return false;
            default:
                throw new Unsupported();
        }
    }

    private boolean literal(char c) {
        if (c >= 128) {
            endRun();
            return false;
        }
        run.append(Character.toLowerCase(c));
        return true;
    }

    /** Applies a quantifier after the atom just read, if there is one. */
    private void quantifier(boolean atomWasLiteral) {
        if (pos >= regex.length()) {
            return;
        }
        char q = regex.charAt(pos);
        boolean optional;
        if (q == '*' || q == '?') {
            optional = true;
            pos++;
        } else if (q == '+') {
            optional = false;
            pos++;
        } else if (q == '{') {
            int close = closing(pos, '}');
            String bounds = regex.substring(pos + 1, close);
            if (!bounds.matches("[0-9]+(,[0-9]*)?")) {
                throw new Unsupported();
            }
            optional = Integer.parseInt(bounds.split(",", -1)[0]) == 0;
            pos = close + 1;
        } else {
            return;
        }
        if (pos < regex.length() && regex.charAt(pos) == '?') {
            pos++; // non-greedy: same set of matches
        }
        if (atomWasLiteral && optional) {
            run.setLength(run.length() - 1);
        }
        // a repeated character is required, but what follows it is no longer adjacent to the run
        endRun();
    }

    private void endRun() {
        if (run.length() > longest.length()) {
            longest = run.toString().toLowerCase(Locale.ROOT);
        }
        run.setLength(0);
    }

    /** Index just past the ')' closing the group opened at {@code open}. */
    private int skipGroup(int open) {
        int depth = 0;
        int i = open;
        while (true) {
            char c = regex.charAt(i);
            if (c == '\\') {
                i += 2;
            } else if (c == '[') {
                i = SafeRegex.endOfClass(regex, i);
            } else {
                if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth == 0) {
                    return i + 1;
                }
                i++;
            }
        }
    }

    private int closing(int from, char close) {
        int i = regex.indexOf(close, from);
        if (i < 0) {
            throw new Unsupported();
        }
        return i;
    }

    /** Syntax this scanner does not reason about: the regex gets no literal. */
    private static final class Unsupported extends RuntimeException {
        Unsupported() {
            super(null, null, false, false);
        }
    }
}
