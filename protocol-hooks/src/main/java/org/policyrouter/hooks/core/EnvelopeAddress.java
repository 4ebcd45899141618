package org.policyrouter.hooks.core;

import java.util.Locale;
import java.util.Optional;

/**
 * An envelope address as the checks see it: the null sender, or a local part and a domain.
 * qpsmtpd compares addresses in lower case; {@link #normalized()} is that form.
 */
public final class EnvelopeAddress {
    private static final EnvelopeAddress NULL = new EnvelopeAddress(null, null);

    private final String localPart;
    private final String domain;

    private EnvelopeAddress(String localPart, String domain) {
        this.localPart = localPart;
        this.domain = domain;
    }

    public static EnvelopeAddress nullSender() {
        return NULL;
    }

    public static EnvelopeAddress of(String localPart, String domain) {
        return new EnvelopeAddress(localPart, domain == null || domain.isEmpty() ? null : domain);
    }

    /** Parses {@code user@host} (no angle brackets); a string without '@' is a local part only. */
    public static EnvelopeAddress parse(String address) {
        if (address == null || address.isEmpty()) {
            return NULL;
        }
        int at = address.lastIndexOf('@');
        return at < 0 ? of(address, null) : of(address.substring(0, at), address.substring(at + 1));
    }

    public boolean isNullSender() {
        return localPart == null && domain == null;
    }

    public String localPart() {
        return localPart == null ? "" : localPart;
    }

    /** The domain in lower case, as qpsmtpd's $addr->host compares it. */
    public Optional<String> domain() {
        return Optional.ofNullable(domain).map(d -> d.toLowerCase(Locale.ROOT));
    }

    /** {@code user@host} in lower case; empty for the null sender. */
    public String normalized() {
        if (isNullSender()) {
            return "";
        }
        return (localPart() + domain().map(d -> "@" + d).orElse("")).toLowerCase(Locale.ROOT);
    }

    /** The address as qpsmtpd's $addr->format writes it: {@code <user@host>}. */
    public String format() {
        return "<" + (isNullSender() ? "" : localPart() + (domain == null ? "" : "@" + domain)) + ">";
    }

    @Override
    public String toString() {
        return format();
    }
}
