package org.policyrouter.mailets;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.net.ssl.SSLException;

/**
 * A connection that failed for TLS, told apart from a host that did not answer: it answered, so
 * it is not suspended as dead, and the reason says what the operator must mend. The codes are
 * RFC 3463's: X.7.4 security features not supported (no STARTTLS), X.7.5 cryptographic failure
 * (the handshake or the certificate). Always temporary, as Postfix defers: the peer's
 * certificate or configuration may be mended before the queue lifetime ends.
 */
final class TlsFailure {
    final String code;
    final String reason;

    private TlsFailure(String code, String reason) {
        this.code = code;
        this.reason = reason;
    }

    /** What went wrong, when {@code failure} of a connection on {@code route} came from TLS. */
    static Optional<TlsFailure> of(RelayRoute route, MessagingException failure) {
        if (String.valueOf(failure.getMessage()).contains("STARTTLS is required but host does not support STARTTLS")) {
            return Optional.of(new TlsFailure("4.7.4", "STARTTLS not offered, and tls=" + route.tls.label() + " requires it"));
        }
        for (Throwable e = failure; e != null; e = next(e)) {
            if (e instanceof SSLException) {
                return Optional.of(new TlsFailure("4.7.5", "TLS handshake failed at tls=" + route.tls.label() + ": " + why(route, failure)));
            }
        }
        return Optional.empty();
    }

    /** The certificate's fault when it is one (what an operator looks for), else the deepest cause. */
    private static String why(RelayRoute route, Throwable failure) {
        Throwable deepest = failure;
        for (Throwable e = failure; e != null; e = next(e)) {
            deepest = e;
            String message = String.valueOf(e.getMessage());
            if (e instanceof CertificateExpiredException || e instanceof CertPathValidatorException
                && ((CertPathValidatorException) e).getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                Throwable detail = e.getCause() instanceof CertificateExpiredException ? e.getCause() : e;
                return "certificate expired (" + detail.getMessage() + ")";
            }
            if (e instanceof CertificateNotYetValidException) {
                return "certificate not yet valid (" + message + ")";
            }
            // the JDK's endpoint identification (sun.security.util.HostnameChecker) says so only in words
            if (message.startsWith("No subject alternative") || message.startsWith("No name matching")) {
                return "certificate host name mismatch: not valid for " + route.peerName + " (" + message + ")";
            }
            if (message.contains("unable to find valid certification path")) {
                return "certificate not trusted: no chain to a certificate of the trust store";
            }
        }
        return deepest.getClass().getSimpleName() + ": " + deepest.getMessage();
    }

    private static Throwable next(Throwable e) {
        Throwable next = e instanceof MessagingException ? ((MessagingException) e).getNextException() : null;
        if (next == null) {
            next = e.getCause();
        }
        return next == e ? null : next;
    }

    @Override
    public String toString() {
        return code + " " + reason;
    }
}
