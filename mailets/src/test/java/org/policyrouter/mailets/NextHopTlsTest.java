package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;


import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.policyrouter.policy.RelayHost;
import org.policyrouter.policy.TlsLevel;

/**
 * Issue 20: the TLS levels of SMTP next hops against real TLS peers in this JVM, each presenting
 * one of {@link TestCertificates}' certificates (or offering no STARTTLS). Counted at the peer:
 * STARTTLS sent, handshakes done, MAIL FROM sent, messages received.
 */
class NextHopTlsTest extends ClosedAfterEach {
    static final TestCertificates CERTIFICATES = TestCertificates.get();
    static final TlsSettings TRUSTING_TEST_CA = new TlsSettings(TlsLevel.MAY, Optional.of(CERTIFICATES.caPem()), Optional.empty());



    SmtpRelayClient client(TlsSettings settings) throws Exception {
        return open(new SmtpRelayClient(Duration.ofSeconds(5), Duration.ofSeconds(10), Optional.of("router.test"), 50, Duration.ofSeconds(2),
            Duration.ofSeconds(300), Duration.ofSeconds(60), settings));
    }

    /** A peer presenting {@code certificate}, or offering no STARTTLS when it is null. */
    RecordingSmtpServer peer(String certificate) {
        RecordingSmtpServer peer = open(new RecordingSmtpServer());
        return certificate == null ? peer : peer.offeringStartTls(CERTIFICATES.serverContext(certificate));
    }

    static RecipientOutcome send(SmtpRelayClient client, TlsLevel level, String hostName, RecordingSmtpServer... peers) throws Exception {
        List<RelayRoute> routes = new ArrayList<>();
        for (RecordingSmtpServer peer : peers) {
            routes.add(RelayRoute.of(new RelayHost(hostName, peer.port()), level));
        }
        MailAddress recipient = new MailAddress("user@dest.test");
        RecipientOutcomes outcomes = client.deliverVia(routes, MaybeSender.getMailSender("sender@client.test"), List.of(recipient),
            SmtpRelayClientTest.message(100));
        return outcomes.get(recipient);
    }

    static void assertDelivered(RecipientOutcome outcome, RecordingSmtpServer peer, boolean encrypted) {
        assertThat(outcome.status()).as(outcome.toString()).isEqualTo(RecipientOutcome.Status.DELIVERED);
        assertThat(peer.accepted()).containsExactly("user@dest.test");
        assertThat(peer.handshakes()).isEqualTo(encrypted ? 1 : 0);
    }

    /** Deferred, and the peer never saw a transaction start. */
    static void assertDeferred(RecipientOutcome outcome, RecordingSmtpServer peer, String... reasons) {
        assertThat(outcome.status()).as(outcome.toString()).isEqualTo(RecipientOutcome.Status.TEMPORARY_FAILURE);
        assertThat(outcome.toString()).contains(reasons);
        assertThat(peer.count("MAIL")).isZero();
        assertThat(peer.accepted()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"good", "self-signed"})
    void noneNeverSendsStartTlsEvenWhenOffered(String certificate) throws Exception {
        RecordingSmtpServer peer = peer(certificate);

        assertDelivered(send(client(TRUSTING_TEST_CA), TlsLevel.NONE, "localhost", peer), peer, false);
        assertThat(peer.count("STARTTLS")).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"good", "expired", "wrong-name", "self-signed"})
    void mayAndEncryptTakeAnyCertificate(String certificate) throws Exception {
        for (TlsLevel level : List.of(TlsLevel.MAY, TlsLevel.ENCRYPT)) {
            RecordingSmtpServer peer = peer(certificate);

            assertDelivered(send(client(TRUSTING_TEST_CA), level, "localhost", peer), peer, true);
            assertThat(peer.count("STARTTLS")).isEqualTo(1);
        }
    }

    @Test
    void mayDeliversInPlaintextToAPeerWithoutStartTls() throws Exception {
        RecordingSmtpServer peer = peer(null);

        assertDelivered(send(client(TRUSTING_TEST_CA), TlsLevel.MAY, "localhost", peer), peer, false);
    }

    @Test
    void mayTriesAgainInPlaintextWhenTheHandshakeFails() throws Exception {
        RecordingSmtpServer peer = open(new RecordingSmtpServer().breakingStartTls(CERTIFICATES.serverContext("good")));

        assertDelivered(send(client(TRUSTING_TEST_CA), TlsLevel.MAY, "localhost", peer), peer, false);
        assertThat(peer.connections()).isEqualTo(2);
        assertThat(peer.count("STARTTLS")).isEqualTo(1);
    }

    @Test
    void encryptDefersWhenTheHandshakeFailsWithoutAPlaintextRetry() throws Exception {
        RecordingSmtpServer peer = open(new RecordingSmtpServer().breakingStartTls(CERTIFICATES.serverContext("good")));

        assertDeferred(send(client(TRUSTING_TEST_CA), TlsLevel.ENCRYPT, "localhost", peer), peer, "4.7.5", "TLS handshake failed");
        assertThat(peer.connections()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"encrypt", "verify"})
    void aPeerWithoutStartTlsIsDeferredBeforeMailFrom(String level) throws Exception {
        RecordingSmtpServer peer = peer(null);

        RecipientOutcome outcome = send(client(TRUSTING_TEST_CA), TlsLevel.parse(level), "localhost", peer);

        assertDeferred(outcome, peer, "4.7.4", "localhost:" + peer.port(), "STARTTLS not offered");
        assertThat(peer.count("EHLO")).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "127.0.0.1"})
    void verifyDeliversToATrustedCertificateForTheNameAsWritten(String hostName) throws Exception {
        RecordingSmtpServer peer = peer("good");

        assertDelivered(send(client(TRUSTING_TEST_CA), TlsLevel.VERIFY, hostName, peer), peer, true);
    }

    /** MX delivery connects to the address DNS gave and checks the MX host's name, as Postfix's verify does. */
    @Test
    void verifyChecksTheMxHostsNameNotTheAddressItResolvedTo() throws Exception {
        RecordingSmtpServer peer = peer("wrong-name");
        RelayRoute mx = new RelayRoute(new RelayHost("127.0.0.1", peer.port()), "other.example", TlsLevel.VERIFY);
        RelayRoute forged = new RelayRoute(new RelayHost("127.0.0.1", peer.port()), "mx.dest.test", TlsLevel.VERIFY);
        SmtpRelayClient client = client(TRUSTING_TEST_CA);

        RecipientOutcomes refused = client.deliverVia(List.of(forged), MaybeSender.getMailSender("sender@client.test"),
            List.of(new MailAddress("user@dest.test")), SmtpRelayClientTest.message(100));
        RecipientOutcomes delivered = client.deliverVia(List.of(mx), MaybeSender.getMailSender("sender@client.test"),
            List.of(new MailAddress("user@dest.test")), SmtpRelayClientTest.message(100));

        assertThat(refused.get(new MailAddress("user@dest.test")).toString())
            .contains("4.7.5", "mx.dest.test[127.0.0.1]:" + peer.port(), "not valid for mx.dest.test");
        assertDelivered(delivered.get(new MailAddress("user@dest.test")), peer, true);
    }

    @Test
    void verifyDefersAnExpiredCertificate() throws Exception {
        RecordingSmtpServer peer = peer("expired");

        assertDeferred(send(client(TRUSTING_TEST_CA), TlsLevel.VERIFY, "localhost", peer), peer, "4.7.5", "certificate expired");
    }

    @Test
    void verifyDefersACertificateForAnotherName() throws Exception {
        RecordingSmtpServer peer = peer("wrong-name");

        assertDeferred(send(client(TRUSTING_TEST_CA), TlsLevel.VERIFY, "localhost", peer), peer, "4.7.5",
            "certificate host name mismatch: not valid for localhost");
    }

    @Test
    void verifyDefersASelfSignedCertificate() throws Exception {
        RecordingSmtpServer peer = peer("self-signed");

        assertDeferred(send(client(TRUSTING_TEST_CA), TlsLevel.VERIFY, "localhost", peer), peer, "4.7.5", "certificate not trusted");
    }

    @Test
    void verifyWithTheJdkTrustStoreDoesNotTrustTheTestCa() throws Exception {
        RecordingSmtpServer peer = peer("good");

        assertDeferred(send(client(TlsSettings.DEFAULT), TlsLevel.VERIFY, "localhost", peer), peer, "4.7.5", "certificate not trusted");
    }

    @Test
    void aPkcs12TrustStoreWithItsPasswordWorksAsThePemFile() throws Exception {
        RecordingSmtpServer peer = peer("good");
        TlsSettings pkcs12 = new TlsSettings(TlsLevel.MAY, Optional.of(CERTIFICATES.keyStore("good")), Optional.of(TestCertificates.PASSWORD));

        assertDelivered(send(client(pkcs12), TlsLevel.VERIFY, "localhost", peer), peer, true);
    }

    @Test
    void verifyFailsOverToTheNextHostAndTheFailedOneIsNotMarkedDead() throws Exception {
        RecordingSmtpServer wrong = peer("wrong-name");
        RecordingSmtpServer good = peer("good");
        SmtpRelayClient client = client(TRUSTING_TEST_CA);

        assertDelivered(send(client, TlsLevel.VERIFY, "localhost", wrong, good), good, true);
        assertThat(wrong.count("MAIL")).isZero();
        // a dead host would be skipped without a connection; this one is tried again
        send(client, TlsLevel.VERIFY, "localhost", wrong);
        assertThat(wrong.connections()).isEqualTo(2);
    }

    @Test
    void theConnectionCacheNeverGivesAConnectionToAMailOfAnotherLevel() throws Exception {
        RecordingSmtpServer peer = peer("good");
        SmtpRelayClient client = client(TRUSTING_TEST_CA);

        send(client, TlsLevel.NONE, "localhost", peer);
        send(client, TlsLevel.VERIFY, "localhost", peer);
        send(client, TlsLevel.VERIFY, "localhost", peer);
        send(client, TlsLevel.NONE, "localhost", peer);

        assertThat(peer.transactions()).hasSize(4);
        assertThat(peer.connections()).isEqualTo(2);
        assertThat(peer.handshakes()).isEqualTo(1);
        assertThat(peer.count("STARTTLS")).isEqualTo(1);
    }

}
