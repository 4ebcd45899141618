package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import javax.mail.internet.MimeMessage;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The first slice of the router, through the shipped configuration: transport rule → SMTP next hop. */
class RoutePolicyIT {
    static final SmtpSink ROUTED = SmtpSink.start();
    static final SmtpSink OTHER = SmtpSink.start();
    static final ScriptedSmtpServer RECORDER = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);
    static final ScriptedSmtpServer TLS_HOP = DeliveryAgentsIT.unchecked(() -> ScriptedSmtpServer.recording().withStartTls());
    static final ScriptedSmtpServer GROUPED = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);
    static final ScriptedSmtpServer SHARED_HOP = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "# test table\n"
            + "routed.example " + ROUTED.hostAndPort() + "\n"
            + "other.example " + OTHER.hostAndPort() + "\n"
            + "recorded.example " + RECORDER.hostAndPort() + "\n"
            + "tls.example " + TLS_HOP.hostAndPort() + "\n"
            + "grouped.example " + GROUPED.hostAndPort() + "\n"
            + "alpha.example " + SHARED_HOP.hostAndPort() + "\n"
            + "beta.example " + SHARED_HOP.hostAndPort() + "\n")
        .build();

    static final String MESSAGE = String.join("\r\n",
        "From: Sender <sender@client.example>",
        "To: user@routed.example",
        "Subject: routed through the policy",
        "Message-ID: <routing-test-1@client.example>",
        "Date: Sat, 21 Nov 2026 10:00:00 +0000",
        "X-Custom: kept as is",
        "",
        "first line",
        ".leading dot",
        "last line",
        "");

    @AfterAll
    static void stopSinks() {
        ROUTED.close();
        OTHER.close();
        DeliveryAgentsIT.unchecked(() -> {
            RECORDER.close();
            TLS_HOP.close();
            GROUPED.close();
            SHARED_HOP.close();
            return null;
        });
    }

    @BeforeEach
    void purge() {
        ROUTED.reset();
        OTHER.reset();
    }

    @Test
    void relaysMailForATransportDomainToItsNextHopWithHeadersAndBodyIntact(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<user@routed.example>")).startsWith("250");
            assertThat(smtp.data(MESSAGE)).startsWith("250");
            smtp.command("QUIT");
        }

        List<MimeMessage> received = ROUTED.awaitMessages(1);
        assertThat(received).hasSize(1);
        String raw = SmtpSink.raw(received.get(0));
        assertThat(raw).contains("Subject: routed through the policy\r\n", "Message-ID: <routing-test-1@client.example>\r\n",
            "X-Custom: kept as is\r\n", "Date: Sat, 21 Nov 2026 10:00:00 +0000\r\n");
        assertThat(raw).endsWith("X-Custom: kept as is\r\n\r\nfirst line\r\n.leading dot\r\nlast line");
        assertThat(ROUTED.envelopeRecipients()).containsExactly("user@routed.example");
        assertThat(OTHER.messages()).isEmpty();
    }

    @Test
    void theNextHopReceivesTheClientsBytesWithOnlyOurReceivedLineAdded(GuiceJamesServer server) throws Exception {
        String message = MESSAGE.replace("user@routed.example", "user@recorded.example")
            + "8-bit: caf\u00e9 \u00fcber\r\nquoted=3Dprintable\r\n";
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            smtp.readReply();
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<sender@client.example> BODY=8BITMIME")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<user@recorded.example>")).startsWith("250");
            assertThat(smtp.data(message)).startsWith("250");
        }

        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> RECORDER.messages().size() == 1);
        String received = new String(RECORDER.messages().get(0), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(received).startsWith("Received: from localhost (EHLO client.example)");
        assertThat(received.substring(received.indexOf("From: Sender"))).isEqualTo(message);
        assertThat(RECORDER.commands()).anySatisfy(c -> assertThat(c).startsWith("MAIL FROM:<sender@client.example> BODY=8BITMIME SIZE="));
    }

    @Test
    void switchesToTlsWhenTheNextHopOffersStartTls(GuiceJamesServer server) throws Exception {
        DeliveryAgentsIT.send(server, "sender@client.example", java.util.List.of("user@tls.example"), "Subject: secret\r\n\r\nover TLS\r\n");

        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> TLS_HOP.messages().size() == 1);
        assertThat(TLS_HOP.tlsSessions()).hasSize(1);
        assertThat(TLS_HOP.commands()).containsSubsequence("STARTTLS", "RCPT TO:<user@tls.example>", "DATA");
        assertThat(new String(TLS_HOP.messages().get(0), java.nio.charset.StandardCharsets.UTF_8)).endsWith("over TLS\r\n");
    }

    @Test
    void splitsOneMessageBetweenTwoNextHops(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            smtp.readReply();
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<sender@client.example>");
            assertThat(smtp.command("RCPT TO:<a@routed.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<b@other.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<c@Routed.Example>")).startsWith("250");
            assertThat(smtp.data(MESSAGE)).startsWith("250");
        }

        assertThat(ROUTED.awaitMessages(2)).hasSize(2);
        assertThat(OTHER.awaitMessages(1)).hasSize(1);
        assertThat(OTHER.messages().get(0).getHeader("Message-ID")).containsExactly("<routing-test-1@client.example>");
    }

    @Test
    void recipientsOfOneRuleTravelInOneSmtpTransaction(GuiceJamesServer server) throws Exception {
        DeliveryAgentsIT.send(server, "sender@client.example",
            List.of("a@grouped.example", "b@grouped.example", "c@grouped.example"), MESSAGE);

        assertThat(awaitTransactions(GROUPED)).singleElement()
            .satisfies(recipients -> assertThat(recipients).containsExactlyInAnyOrder("a@grouped.example", "b@grouped.example", "c@grouped.example"));
        assertThat(GROUPED.transactionCount()).isEqualTo(1);
    }

    @Test
    void recipientsOfTwoRulesWithTheSameNextHopTravelInOneSmtpTransaction(GuiceJamesServer server) throws Exception {
        DeliveryAgentsIT.send(server, "sender@client.example", List.of("a@alpha.example", "b@beta.example", "c@alpha.example"), MESSAGE);

        assertThat(awaitTransactions(SHARED_HOP)).singleElement()
            .satisfies(recipients -> assertThat(recipients).containsExactlyInAnyOrder("a@alpha.example", "b@beta.example", "c@alpha.example"));
    }

    /** The transactions a next hop received once deliveries stopped coming (a second mail would come within the same spool pass). */
    private static List<List<String>> awaitTransactions(ScriptedSmtpServer hop) throws InterruptedException {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> !hop.transactions().isEmpty());
        Thread.sleep(3000);
        return List.copyOf(hop.transactions());
    }
}
