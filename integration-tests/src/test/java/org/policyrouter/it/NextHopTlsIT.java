package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.spool.WebAdmin;
import org.policyrouter.mailets.TestCertificates;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 20: per-rule TLS levels through the bundled James. RelayDelivery trusts the test CA
 * ({@code tlsTrustStore}); each next hop presents one of {@link TestCertificates}' certificates
 * or offers no STARTTLS. A refused next hop never sees MAIL FROM, and the spool's last error (read
 * through WebAdmin) says why.
 */
class NextHopTlsIT {
    static final TestCertificates CERTIFICATES = TestCertificates.get();
    static final ScriptedSmtpServer GOOD = tlsHop("good");
    static final ScriptedSmtpServer EXPIRED = tlsHop("expired");
    static final ScriptedSmtpServer WRONG_NAME = tlsHop("wrong-name");
    static final ScriptedSmtpServer SELF_SIGNED = tlsHop("self-signed");
    static final ScriptedSmtpServer PLAIN = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "verified.example tls=verify localhost:" + GOOD.port() + "\n"
            + "expired.example tls=verify localhost:" + EXPIRED.port() + "\n"
            + "wrongname.example tls=verify localhost:" + WRONG_NAME.port() + "\n"
            + "selfsigned.example tls=verify localhost:" + SELF_SIGNED.port() + "\n"
            + "encrypted.example tls=encrypt localhost:" + SELF_SIGNED.port() + "\n"
            + "plain.example tls=encrypt localhost:" + PLAIN.port() + "\n"
            + "opportunistic.example localhost:" + PLAIN.port() + "\n")
        .editConf("mailetcontainer.xml", xml -> ConfEdits.mailetParameter(xml, "org.policyrouter.mailets.RelayDelivery", "tlsTrustStore",
            CERTIFICATES.caPem().toString()))
        .build();

    static ScriptedSmtpServer tlsHop(String certificate) {
        return DeliveryAgentsIT.unchecked(() -> ScriptedSmtpServer.recording().withStartTls(CERTIFICATES.serverContext(certificate)));
    }

    @AfterAll
    static void stopNextHops() {
        DeliveryAgentsIT.unchecked(() -> {
            for (ScriptedSmtpServer hop : List.of(GOOD, EXPIRED, WRONG_NAME, SELF_SIGNED, PLAIN)) {
                hop.close();
            }
            return null;
        });
    }

    static void send(GuiceJamesServer server, String recipient) throws Exception {
        DeliveryAgentsIT.send(server, "sender@client.example", List.of(recipient), "Subject: tls\r\n\r\nbody\r\n");
    }

    /** The spool's last error of the deferred mail for {@code domain}. */
    static String deferralOf(GuiceJamesServer server, String domain) {
        WebAdmin webAdmin = WebAdmin.of(server);
        JsonNode entry = Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> webAdmin.get("/spool/queues/spool/messages?domain=" + domain),
                mails -> mails.size() == 1 && mails.get(0).get("state").asText().equals("deferred")).get(0);
        return entry.get("lastError").asText();
    }

    static long mailFroms(ScriptedSmtpServer hop) {
        return hop.commands().stream().filter(command -> command.toUpperCase().startsWith("MAIL FROM")).count();
    }

    @Test
    void verifyDeliversToATrustedCertificateForTheHostAsWritten(GuiceJamesServer server) throws Exception {
        send(server, "user@verified.example");

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> GOOD.messages().size() == 1);
        assertThat(GOOD.tlsSessions()).hasSize(1);
        assertThat(GOOD.commands()).containsSubsequence("STARTTLS", "RCPT TO:<user@verified.example>", "DATA");
    }

    @Test
    void verifyDefersAnExpiredCertificate(GuiceJamesServer server) throws Exception {
        send(server, "user@expired.example");

        assertThat(deferralOf(server, "expired.example")).contains("4.7.5", "localhost:" + EXPIRED.port(), "certificate expired");
        assertThat(mailFroms(EXPIRED)).isZero();
    }

    @Test
    void verifyDefersACertificateForAnotherName(GuiceJamesServer server) throws Exception {
        send(server, "user@wrongname.example");

        assertThat(deferralOf(server, "wrongname.example")).contains("4.7.5", "certificate host name mismatch: not valid for localhost");
        assertThat(mailFroms(WRONG_NAME)).isZero();
    }

    @Test
    void verifyDefersASelfSignedCertificateButEncryptTakesIt(GuiceJamesServer server) throws Exception {
        send(server, "user@selfsigned.example");
        assertThat(deferralOf(server, "selfsigned.example")).contains("4.7.5", "certificate not trusted");

        send(server, "user@encrypted.example");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> SELF_SIGNED.messages().size() == 1);
        assertThat(SELF_SIGNED.tlsSessions()).hasSize(1);
        assertThat(mailFroms(SELF_SIGNED)).isEqualTo(1);
    }

    @Test
    void encryptDefersANextHopWithoutStartTlsWhichMayStillReaches(GuiceJamesServer server) throws Exception {
        send(server, "user@plain.example");
        assertThat(deferralOf(server, "plain.example")).contains("4.7.4", "localhost:" + PLAIN.port(), "STARTTLS not offered");
        assertThat(mailFroms(PLAIN)).isZero();

        send(server, "user@opportunistic.example");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> PLAIN.messages().size() == 1);
    }
}
