package org.policyrouter.mailets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Certificates made with the JDK's keytool for one test run (once per JVM): a test CA, whose
 * certificate is the PEM trust store ({@link #caPem()}), and server key stores (PKCS12, password
 * {@value #PASSWORD}) for next hops:
 *
 * <ul>
 * <li>{@code good}: signed by the CA, for localhost and 127.0.0.1;
 * <li>{@code expired}: signed by the CA, for localhost, valid for 30 days two years ago;
 * <li>{@code wrong-name}: signed by the CA, for other.example only;
 * <li>{@code self-signed}: for localhost and 127.0.0.1, signed by itself, in no trust store.
 * </ul>
 */
public final class TestCertificates {
    public static final String PASSWORD = "changeit";
    private static TestCertificates made;

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    public static synchronized TestCertificates get() {
        if (made == null) {
            try {
                made = make(Files.createTempDirectory("policyrouter-tls"));
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("cannot make test certificates: " + e.getMessage(), e);
            }
        }
        return made;
    }

    private static TestCertificates make(Path dir) throws IOException, InterruptedException {
        TestCertificates certificates = new TestCertificates(dir);
        Path ca = dir.resolve("ca.p12");
        certificates.keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Policy Router Test CA",
            "-ext", "bc:c", "-validity", "365", "-keystore", ca.toString());
        certificates.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-file", certificates.caPem().toString());
        certificates.signed("good", "localhost", "SAN=dns:localhost,ip:127.0.0.1", List.of("-validity", "30"));
        certificates.signed("expired", "localhost", "SAN=dns:localhost,ip:127.0.0.1", List.of("-startdate", "-2y", "-validity", "30"));
        certificates.signed("wrong-name", "other.example", "SAN=dns:other.example", List.of("-validity", "30"));
        certificates.keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
            "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "30", "-keystore", certificates.keyStore("self-signed").toString());
        return certificates;
    }

    private void signed(String name, String commonName, String san, List<String> validity) throws IOException, InterruptedException {
        Path store = keyStore(name);
        Path request = dir.resolve(name + ".csr");
        Path certificate = dir.resolve(name + ".crt");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + commonName,
            "-keystore", store.toString());
        keytool("-certreq", "-alias", "server", "-keystore", store.toString(), "-file", request.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", dir.resolve("ca.p12").toString(), "-rfc",
            "-infile", request.toString(), "-outfile", certificate.toString(), "-ext", san));
        sign.addAll(validity);
        keytool(sign.toArray(new String[0]));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", store.toString(), "-file", caPem().toString());
        keytool("-importcert", "-alias", "server", "-keystore", store.toString(), "-file", certificate.toString());
    }

    private void keytool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException("keytool " + String.join(" ", arguments) + " failed: " + output);
        }
    }

    /** The test CA's certificate, PEM: a {@code tlsTrustStore}. */
    public Path caPem() {
        return dir.resolve("ca.pem");
    }

    /** {@code good}, {@code expired}, {@code wrong-name} or {@code self-signed}: a PKCS12 key store with password {@value #PASSWORD}. */
    public Path keyStore(String name) {
        return dir.resolve(name + ".p12");
    }

    /** A server's TLS context presenting that certificate. */
    public SSLContext serverContext(String name) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStore(name))) {
                store.load(in, PASSWORD.toCharArray());
            }
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, PASSWORD.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
