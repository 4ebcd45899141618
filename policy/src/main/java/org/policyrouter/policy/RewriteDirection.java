package org.policyrouter.policy;

import java.util.Locale;

/** Which addresses a {@code rewrite} line applies to. */
public enum RewriteDirection {
    FROM(true, false),
    TO(false, true),
    BOTH(true, true);

    private final boolean sender;
    private final boolean recipient;

    RewriteDirection(boolean sender, boolean recipient) {
        this.sender = sender;
        this.recipient = recipient;
    }

    /** @throws IllegalArgumentException with a message fit for a {@code file:line:} error */
    static RewriteDirection parse(String text) {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "from":
                return FROM;
            case "to":
                return TO;
            case "both":
                return BOTH;
            default:
                throw new IllegalArgumentException("unknown direction '" + text + "': expected from, to or both");
        }
    }

    public boolean appliesToSender() {
        return sender;
    }

    public boolean appliesToRecipient() {
        return recipient;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
