package org.policyrouter.hooks.core;

import java.util.Locale;
import java.util.Optional;

/**
 * qpsmtpd's hook return codes (Qpsmtpd::Constants). DONE and YIELD are not here: a check never
 * writes its own reply, and James has no asynchronous hooks.
 */
public enum ReturnCode {
    DECLINED,
    OK,
    DENY,
    DENYSOFT,
    DENY_DISCONNECT,
    DENYSOFT_DISCONNECT;

    public boolean isTemporary() {
        return this == DENYSOFT || this == DENYSOFT_DISCONNECT;
    }

    public boolean disconnects() {
        return this == DENY_DISCONNECT || this == DENYSOFT_DISCONNECT;
    }

    public boolean rejects() {
        return this != DECLINED && this != OK;
    }

    /** The name as written in control files (hosts_allow, rcpt_map): {@code DENY}, {@code denysoft}… */
    public static Optional<ReturnCode> parse(String name) {
        try {
            return Optional.of(valueOf(name.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
