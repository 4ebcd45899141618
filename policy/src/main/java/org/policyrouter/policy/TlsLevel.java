package org.policyrouter.policy;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How an SMTP next hop must use TLS, Postfix's {@code smtp_tls_security_level} levels by name:
 * {@code none} never STARTTLS; {@code may} STARTTLS when offered, any certificate; {@code encrypt}
 * STARTTLS required, any certificate; {@code verify} STARTTLS required and the certificate
 * verified (trusted chain, host name matching the next hop's name).
 */
public enum TlsLevel {
    NONE, MAY, ENCRYPT, VERIFY;

    /** @throws IllegalArgumentException naming the levels there are */
    public static TlsLevel parse(String text) {
        for (TlsLevel level : values()) {
            if (level.label().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return level;
            }
        }
        throw new IllegalArgumentException("unknown TLS level '" + text + "' (levels: "
            + Arrays.stream(values()).map(TlsLevel::label).collect(Collectors.joining(", ")) + ")");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
