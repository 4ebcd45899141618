package org.policyrouter.hooks.core;

import java.util.Locale;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * One entry of badmailfrom/badrcptto: a full address, {@code @host} (that host exactly, no
 * subdomains), or, when it contains one of {@code / ^ $ * + ! % ? \}, a regular expression
 * searched in the lower-cased {@code user@host}. qpsmtpd runs these as Perl regexes; we use RE2J
 * (linear time, no backreferences or lookaround), case-insensitively as badrcptto does.
 */
public final class BadAddressPattern {
    private static final String REGEX_MARKERS = "/^$*+!%?\\";

    private final String text;
    private final Pattern regex;

    private BadAddressPattern(String text, Pattern regex) {
        this.text = text;
        this.regex = regex;
    }

    public static BadAddressPattern parse(String entry, ControlLine line) {
        if (entry.chars().anyMatch(c -> REGEX_MARKERS.indexOf(c) >= 0)) {
            try {
                return new BadAddressPattern(entry, Pattern.compile(entry, Pattern.CASE_INSENSITIVE));
            } catch (PatternSyntaxException e) {
                throw new ControlFileException(line, "not a regular expression RE2J accepts: " + e.getDescription());
            }
        }
        if (!entry.contains("@")) {
            throw new ControlFileException(line, "an address or @host needs an @ sign");
        }
        return new BadAddressPattern(entry.toLowerCase(Locale.ROOT), null);
    }

    public boolean matches(EnvelopeAddress address) {
        if (address.isNullSender()) {
            return false;
        }
        String normalized = address.normalized();
        if (regex != null) {
            return regex.matcher(normalized).find();
        }
        if (text.startsWith("@")) {
            return address.domain().map(domain -> text.equals("@" + domain)).orElse(false);
        }
        return text.equals(normalized);
    }

    public boolean isRegex() {
        return regex != null;
    }

    @Override
    public String toString() {
        return text;
    }
}
