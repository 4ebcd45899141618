package org.policyrouter.policy;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import com.google.re2j.Pattern;

/**
 * The left-hand side of a policy rule: a domain {@code foo.bar} (that domain only), a wildcard
 * {@code *.foo} (any subdomain of foo, at any depth, not foo itself), a regex {@code /.../}
 * searched in the whole address {@code local@domain}, or an address {@code user@foo.bar}.
 * Matching is case-insensitive. Regexes are RE2J: linear time, so a hostile pattern cannot
 * stall mail flow.
 */
public final class AddressPattern {
    public enum Kind { DOMAIN, WILDCARD, REGEX, ADDRESS }

    private final Kind kind;
    private final String text;
    /** Lower-cased domain, wildcard suffix (".foo"), or address; null for regexes. */
    private final String key;
    private final Pattern regex;
    private final Optional<String> requiredLiteral;

    private AddressPattern(Kind kind, String text, String key, Pattern regex) {
        this.kind = kind;
        this.text = text;
        this.key = key;
        this.regex = regex;
        this.requiredLiteral = regex == null ? Optional.empty() : RequiredLiteral.of(regex.pattern());
    }

    /** @throws IllegalArgumentException with a message fit for a {@code file:line:} error */
    public static AddressPattern parse(String text) {
        if (text.length() >= 2 && text.startsWith("/") && text.endsWith("/")) {
            String body = text.substring(1, text.length() - 1);
            if (body.isEmpty()) {
                throw new IllegalArgumentException("empty regex '//'");
            }
            return new AddressPattern(Kind.REGEX, text, null, SafeRegex.compile(body, text));
        }
        if (text.startsWith("/")) {
            throw new IllegalArgumentException("regex '" + text + "' is missing its closing '/'");
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("*.")) {
            String domain = lower.substring(2);
            requireDomain(domain, text);
            return new AddressPattern(Kind.WILDCARD, text, "." + domain, null);
        }
        int at = lower.lastIndexOf('@');
        if (at >= 0) {
            String local = lower.substring(0, at);
            if (local.isEmpty() || local.chars().anyMatch(c -> c <= ' ' || c == '<' || c == '>')) {
                throw new IllegalArgumentException("invalid local part in address '" + text + "'");
            }
            requireDomain(lower.substring(at + 1), text);
            return new AddressPattern(Kind.ADDRESS, text, lower, null);
        }
        requireDomain(lower, text);
        return new AddressPattern(Kind.DOMAIN, text, lower, null);
    }

    private static void requireDomain(String domain, String text) {
        if (!isDomain(domain)) {
            throw new IllegalArgumentException("'" + text + "' is not a domain, *.wildcard, /regex/ or address");
        }
    }

    static boolean isDomain(String domain) {
        if (domain.isEmpty() || domain.length() > 253 || domain.startsWith(".") || domain.endsWith(".")
            || domain.contains("..")) {
            return false;
        }
        for (int i = 0; i < domain.length(); i++) {
            char c = domain.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
                || (c >= 'A' && c <= 'Z');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code address} ({@code local@domain}, or a bare domain for domain-only contexts)
     * matches. The caller passes the address lower-cased.
     */
    public boolean matches(String lowerAddress) {
        int at = lowerAddress.lastIndexOf('@');
        String domain = lowerAddress.substring(at + 1);
        switch (kind) {
            case DOMAIN:
                return domain.equals(key);
            case WILDCARD:
                return domain.endsWith(key);
            case ADDRESS:
                return lowerAddress.equals(key);
            case REGEX:
                return regex.matcher(lowerAddress).find();
            default:
                throw new IllegalStateException(kind.name());
        }
    }

    public Kind kind() {
        return kind;
    }

    /** Lower-cased domain, wildcard suffix including its leading dot, or address; null for regexes. */
    public String key() {
        return key;
    }

    /** Equal for two patterns that match exactly the same addresses by construction (same kind and key, or same regex). */
    String identity() {
        return kind == Kind.REGEX ? text : kind + ":" + key;
    }

    /** For a regex: lower-cased text that every address it matches contains, when one is known. */
    Optional<String> requiredLiteral() {
        return requiredLiteral;
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddressPattern && ((AddressPattern) o).text.equals(text);
    }

    @Override
    public int hashCode() {
        return Objects.hash(text);
    }
}
