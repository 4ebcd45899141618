package org.policyrouter.mailets;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.net.ssl.SSLContext;

import org.policyrouter.policy.TlsLevel;

/**
 * One JavaMail session per TLS level, made once when the agent starts: a mail never creates a
 * session (issue 18), and a level is only a few properties on top of the client's own.
 * {@code none} never sends STARTTLS; {@code may} sends it when offered; {@code encrypt} and
 * {@code verify} set {@code starttls.required}, so JavaMail stops after EHLO, before MAIL FROM,
 * when the peer does not offer it. Every level that encrypts layers TLS with {@link TlsSockets};
 * only {@code verify}'s checks the chain against the trust store and the peer's name.
 */
final class TlsSessions {
    private final Map<TlsLevel, Session> sessions = new EnumMap<>(TlsLevel.class);

    TlsSessions(Properties base, TlsSettings settings) throws MessagingException {
        SSLContext anyCertificate;
        SSLContext verifying;
        try {
            anyCertificate = TlsTrust.anyCertificate();
            verifying = TlsTrust.verifying(settings.trustStore, settings.trustStorePassword);
        } catch (GeneralSecurityException | IOException e) {
            throw new MessagingException("tlsTrustStore " + settings.trustStore.map(Object::toString).orElse("(the JDK's)")
                + " cannot be used: " + e, e);
        }
        for (TlsLevel level : TlsLevel.values()) {
            Properties props = new Properties();
            props.putAll(base);
            props.put("mail.smtp.starttls.enable", String.valueOf(level != TlsLevel.NONE));
            props.put("mail.smtp.starttls.required", String.valueOf(level == TlsLevel.ENCRYPT || level == TlsLevel.VERIFY));
            SSLContext context = level == TlsLevel.VERIFY ? verifying : anyCertificate;
            props.put("mail.smtp.ssl.socketFactory", new TlsSockets(context.getSocketFactory(), level == TlsLevel.VERIFY));
            settings.protocols.ifPresent(protocols -> props.put("mail.smtp.ssl.protocols", protocols));
            sessions.put(level, Session.getInstance(props));
        }
    }

    Session forLevel(TlsLevel level) {
        return sessions.get(level);
    }
}
