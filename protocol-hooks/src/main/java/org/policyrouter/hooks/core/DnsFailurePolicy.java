package org.policyrouter.hooks.core;

import java.util.Locale;

/**
 * What a DNS list check answers when DNS fails or stays silent: {@code accept} (qpsmtpd's
 * behaviour: log and carry on) or {@code temp} (450 4.4.3, the client tries again later).
 */
public enum DnsFailurePolicy {
    ACCEPT,
    TEMP;

    public static DnsFailurePolicy from(Options options) {
        String value = options.string("dnsFailure", "accept");
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw options.invalid("dnsFailure", value, "accept or temp");
        }
    }

    public Verdict verdict() {
        return this == ACCEPT ? Verdict.DECLINED : Verdict.denySoft("Temporary DNS failure, try again later", "4.3");
    }
}
