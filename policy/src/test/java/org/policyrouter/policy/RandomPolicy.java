package org.policyrouter.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Random patterns and addresses over a small vocabulary, so that random rules and random
 * addresses collide often: the raw material of the property tests.
 */
final class RandomPolicy {
    private static final String[] LABELS = {"a", "b", "foo", "bar", "ex", "mail", "x1", "ab", "spl-123456"};
    private static final String[] LOCALS = {"u", "max", "root", "info", "a.b", "sales-1", "webmaster", "foo"};
    private static final String[] REGEX_PIECES = {
        "foo", "bar", "foo\\.bar", "foo.bar", "@", "\\.", ".", ".*", ".+", "[a-c]", "[^@]+", "[0-9]*", "[0-9]{6}",
        "(foo|bar)", "(?:a|b)+", "^", "$", "\\w+", "x?", "ab{1,2}", "b{0,3}", "\\d", "(?i)", "[[:alpha:]]", "\\pL",
        "FOO", "K", "\u017f", "\\-", "spl-", "sales", "mail", "@ex", "ex$", "[]a]", "\\Qa.b\\E", "\\x41", "a*?", "(a)(b)?",
    };
    private static final String[] ODD_ADDRESSES = {"", "@", "nodomain", "a@b@foo.bar", "u@foo.bar.", "u@.foo", "u@foo..bar",
        "u@\u017f.foo", "\u017fales-1@foo.bar", "u@\u017fpl-123456.ex", "U@\u212a.EX", "\u00e9@foo.bar", "u@FOO.BAR"};

    private final Random random;

    RandomPolicy(long seed) {
        this.random = new Random(seed);
    }

    Random random() {
        return random;
    }

    String domain(int maxLabels) {
        int labels = 1 + random.nextInt(maxLabels);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < labels; i++) {
            parts.add(pick(LABELS));
        }
        return String.join(".", parts);
    }

    String address() {
        if (random.nextInt(20) == 0) {
            return pick(ODD_ADDRESSES);
        }
        String address = pick(LOCALS) + "@" + domain(4);
        return random.nextInt(4) == 0 ? randomCase(address) : address;
    }

    private String randomCase(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(random.nextBoolean() ? Character.toUpperCase(c) : c);
        }
        return b.toString();
    }

    /** A valid destination: domain, wildcard, address or regex, regexes with probability {@code regexShare}. */
    AddressPattern pattern(double regexShare, boolean addresses) {
        if (random.nextDouble() < regexShare) {
            return regex();
        }
        switch (random.nextInt(addresses ? 3 : 2)) {
            case 0:
                return AddressPattern.parse(random.nextInt(5) == 0 ? domain(3).toUpperCase(Locale.ROOT) : domain(3));
            case 1:
                return AddressPattern.parse("*." + domain(2));
            default:
                return AddressPattern.parse(pick(LOCALS) + "@" + domain(3));
        }
    }

    AddressPattern regex() {
        while (true) {
            String body = regexBody();
            if (random.nextInt(8) == 0) {
                body = body + "|" + regexBody();
            }
            try {
                return AddressPattern.parse("/" + body + "/");
            } catch (IllegalArgumentException invalid) {
                // e.g. a quantifier after '^': draw again
            }
        }
    }

    String regexBody() {
        StringBuilder body = new StringBuilder();
        int pieces = 1 + random.nextInt(5);
        for (int i = 0; i < pieces; i++) {
            body.append(random.nextInt(3) == 0 ? pick(LABELS) : pick(REGEX_PIECES));
        }
        return body.toString();
    }

    String pick(String[] choices) {
        return choices[random.nextInt(choices.length)];
    }
}
