package org.policyrouter.hooks.state;

import java.util.Locale;

import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.Verdict;

/**
 * What a check answers when its store fails or does not answer within {@code store_timeout}
 * (option {@code store_failure}): {@code accept} lets the command through unchecked (qpsmtpd skips
 * greylisting when its database cannot be opened), {@code tempfail} defers it with
 * {@code 450 4.3.0} (qpsmtpd's DENYSOFT; 421 and closed at connect), so a client retries once the store is back.
 */
public enum StoreFailure {
    ACCEPT,
    TEMPFAIL;

    static final String MESSAGE = "Temporarily unable to check, try again later";

    public static StoreFailure from(Options options) {
        String value = options.string("store_failure", "accept");
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw options.invalid("store_failure", value, "accept or tempfail");
        }
    }

    public Verdict verdict() {
        return this == ACCEPT ? Verdict.DECLINED : Verdict.denySoft(MESSAGE, "3.0");
    }
}
