package org.policyrouter.mailets;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.TlsLevel;

/**
 * A delivery agent's TLS parameters: {@code tls}, the level of next hops whose rule has no
 * {@code tls=} (relay hosts from the relayhost file, MX next hops written as plain {@code mx}),
 * default {@code may} as before; {@code tlsTrustStore} (PEM, JKS or PKCS12) and
 * {@code tlsTrustStorePassword}, what {@code verify} trusts, default the JDK's trust store;
 * {@code tlsProtocols}, the TLS versions offered (space separated, e.g. {@code TLSv1.2 TLSv1.3}).
 */
final class TlsSettings {
    static final TlsSettings DEFAULT = new TlsSettings(TlsLevel.MAY, Optional.empty(), Optional.empty());

    final TlsLevel level;
    final Optional<Path> trustStore;
    final Optional<String> trustStorePassword;
    /** {@code mail.smtp.ssl.protocols}: when absent, the JDK's enabled protocols less SSLv2/SSLv3 (JavaMail's filter). */
    final Optional<String> protocols;

    TlsSettings(TlsLevel level, Optional<Path> trustStore, Optional<String> trustStorePassword) {
        this(level, trustStore, trustStorePassword, Optional.empty());
    }

    TlsSettings(TlsLevel level, Optional<Path> trustStore, Optional<String> trustStorePassword, Optional<String> protocols) {
        this.level = level;
        this.trustStore = trustStore;
        this.trustStorePassword = trustStorePassword;
        this.protocols = protocols;
    }

    static TlsSettings configuredFor(GenericMailet mailet) throws MessagingException {
        TlsLevel level;
        try {
            level = mailet.getInitParameterAsOptional("tls").map(TlsLevel::parse).orElse(TlsLevel.MAY);
        } catch (IllegalArgumentException e) {
            throw new MessagingException(mailet.getMailetName() + ": parameter tls: " + e.getMessage());
        }
        Optional<Path> store = mailet.getInitParameterAsOptional("tlsTrustStore").map(String::trim).map(Path::of);
        if (store.isPresent() && !Files.isReadable(store.get())) {
            // found at start, not at the first verify delivery
            throw new MessagingException(mailet.getMailetName() + ": parameter tlsTrustStore: cannot read " + store.get());
        }
        return new TlsSettings(level, store, mailet.getInitParameterAsOptional("tlsTrustStorePassword"),
            mailet.getInitParameterAsOptional("tlsProtocols").map(String::trim));
    }

    /** The rule's {@code tls=} when it has one, else this agent's level. */
    TlsLevel levelFor(Optional<TlsLevel> rule) {
        return rule.orElse(level);
    }
}
