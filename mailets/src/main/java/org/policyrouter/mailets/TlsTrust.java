package org.policyrouter.mailets;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The certificates {@code verify} trusts: the JDK's trust store, or the one file
 * {@code tlsTrustStore} names (PEM certificates, or a JKS/PKCS12 key store opened with
 * {@code tlsTrustStorePassword}); and the trust-anything context of {@code may} and
 * {@code encrypt}, which want encryption against passive listeners only, as Postfix's levels do.
 */
final class TlsTrust {
    private TlsTrust() {
    }

    static SSLContext verifying(Optional<Path> trustStore, Optional<String> password) throws GeneralSecurityException, IOException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trustStore.isPresent() ? load(trustStore.get(), password) : null);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    static SSLContext anyCertificate() throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new AnyCertificate()}, null);
        return context;
    }

    private static KeyStore load(Path file, Optional<String> password) throws GeneralSecurityException, IOException {
        byte[] content = Files.readAllBytes(file);
        if (new String(content, 0, Math.min(content.length, 4096), java.nio.charset.StandardCharsets.ISO_8859_1).contains("-----BEGIN")) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int n = 0;
            try (InputStream in = Files.newInputStream(file)) {
                for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("pem-" + n++, certificate);
                }
            }
            if (n == 0) {
                throw new GeneralSecurityException(file + " holds no certificate");
            }
            return store;
        }
        // the JDK tells PKCS12 from JKS by itself
        return KeyStore.getInstance(file.toFile(), password.orElse("").toCharArray());
    }

    /** An X509ExtendedTrustManager, so that the JDK adds no checks of its own around it. */
    private static final class AnyCertificate extends X509ExtendedTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
