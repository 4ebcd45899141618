package org.policyrouter.core.webadmin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebAdminKeysTest {
    @TempDir
    Path home;

    @Test
    void thePairIsMadeOnceOwnerOnly() throws Exception {
        assertThat(WebAdminKeys.ensure(home)).isTrue();
        Path privateKey = home.resolve(WebAdminKeys.PRIVATE_KEY);
        Path publicKey = home.resolve(WebAdminKeys.PUBLIC_KEY);
        assertThat(mode(home.resolve(WebAdminKeys.DIRECTORY))).isEqualTo("rwx------");
        assertThat(mode(privateKey)).isEqualTo("rw-------");
        assertThat(mode(publicKey)).isEqualTo("rw-------");
        assertThat(Files.readString(privateKey)).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(Files.readString(publicKey)).startsWith("-----BEGIN PUBLIC KEY-----\n");
        String before = Files.readString(privateKey);

        assertThat(WebAdminKeys.ensure(home)).isFalse();
        assertThat(Files.readString(privateKey)).isEqualTo(before);
        try (var files = Files.list(home.resolve(WebAdminKeys.DIRECTORY))) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("jwt-private.pem", "jwt-public.pem");
        }
    }

    @Test
    void aLostPublicKeyIsWrittenAgainFromThePrivateOne() throws Exception {
        WebAdminKeys.ensure(home);
        Path publicKey = home.resolve(WebAdminKeys.PUBLIC_KEY);
        String original = Files.readString(publicKey);
        Files.delete(publicKey);

        assertThat(WebAdminKeys.ensure(home)).isFalse();
        assertThat(Files.readString(publicKey)).isEqualTo(original);
    }

    @Test
    void tokensVerifyWithThePublicKey() throws Exception {
        WebAdminKeys.ensure(home);
        String token = WebAdminTokens.sign(WebAdminKeys.privateKey(home), "policy-router", true, Duration.ofMinutes(5),
            Instant.ofEpochSecond(1_700_000_000));

        String[] parts = token.split("\\.");
        assertThat(parts).hasSize(3);
        assertThat(decode(parts[0])).isEqualTo("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
        assertThat(decode(parts[1])).isEqualTo("{\"sub\":\"policy-router\",\"admin\":true,\"iat\":1700000000,\"exp\":1700000300}");
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(publicKey());
        verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(verifier.verify(Base64.getUrlDecoder().decode(parts[2]))).isTrue();
    }

    @Test
    void subjectsThatWouldNeedJsonEscapingAreRefused() throws Exception {
        WebAdminKeys.ensure(home);
        assertThatThrownBy(() -> WebAdminTokens.sign(WebAdminKeys.privateKey(home), "a\",\"admin\":true", true, Duration.ofMinutes(1), Instant.now()))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theTokenCommandPrintsOneTokenOrExplains() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(TokenCli.run(List.of("token"), home, new PrintStream(out), new PrintStream(err))).isEqualTo(1);
        assertThat(err.toString()).contains("no WebAdmin signing key at ", "the server makes it at its first start");

        WebAdminKeys.ensure(home);
        assertThat(TokenCli.run(List.of("token", "--ttl", "10m"), home, new PrintStream(out), new PrintStream(err))).isZero();
        String claims = decode(out.toString().trim().split("\\.")[1]);
        assertThat(claims).contains("\"sub\":\"policy-router\"", "\"admin\":true");
        assertThat(TokenCli.run(List.of("token", "--ttl", "2d"), home, new PrintStream(out), new PrintStream(err))).isEqualTo(2);
        assertThat(TokenCli.run(List.of("token", "--bogus"), home, new PrintStream(out), new PrintStream(err))).isEqualTo(2);
    }

    private PublicKey publicKey() throws Exception {
        String pem = Files.readString(home.resolve(WebAdminKeys.PUBLIC_KEY)).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
    }

    private static String decode(String part) {
        return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
