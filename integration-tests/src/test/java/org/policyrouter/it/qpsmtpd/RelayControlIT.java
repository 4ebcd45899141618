package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.SmtpSink;

/** qpsmtpd's relay and rcpt_ok through the bundled James: who may relay, which domains we accept. */
class RelayControlIT {
    static final SmtpSink NEXT_HOP = SmtpSink.start();
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory()
        .write("relayclients", "# our networks", "127.0.0.5", "127.0.1.", "127.0.2.0/24")
        .write("norelayclients", "127.0.1.9", "127.0.3.3")
        .write("rcpthosts", "backup.example", ".sub.example")
        .write("morercpthosts", "more.example");

    @RegisterExtension
    static JamesServerExtension james = CHAIN.jamesTrusting("127.0.0.1/32, 127.0.3.0/24",
            CHAIN.handler("Relay"),
            CHAIN.handler("RcptOk"))
        .withFile("policy/transport", "foreign.example " + NEXT_HOP.hostAndPort() + "\nbackup.example " + NEXT_HOP.hostAndPort() + "\n")
        .build();

    @AfterAll
    static void stopSink() {
        NEXT_HOP.close();
    }

    @Test
    void deniesRelayingToAForeignDomainForAClientOutsideRelayclients(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.9", "sender@client.example", "user@foreign.example")).isEqualTo("550 5.7.1 Relaying denied");
    }

    @Test
    void acceptsRcpthostsDomainsAndTheirSubdomainsFromAnyClient(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.9", "sender@client.example", "user@backup.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.9", "sender@client.example", "user@BACKUP.Example")).startsWith("250 ");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.9", "sender@client.example", "user@deep.a.sub.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.9", "sender@client.example", "user@more.example")).startsWith("250 ");
    }

    @Test
    void aLeadingDotMeansSubdomainsOnly(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.9", "sender@client.example", "user@sub.example")).isEqualTo("550 5.7.1 Relaying denied");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.9", "sender@client.example", "user@notsub.example")).isEqualTo("550 5.7.1 Relaying denied");
    }

    @Test
    void relaysForRelayclientsByFullAddressPrefixAndCidrIncludingTheEndsOfTheRange(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.5", "sender@client.example", "user@foreign.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.1.7", "sender@client.example", "user@foreign.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.2.0", "sender@client.example", "user@foreign.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.2.255", "sender@client.example", "user@foreign.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.6", "sender@client.example", "user@foreign.example")).isEqualTo("550 5.7.1 Relaying denied");
    }

    @Test
    void norelayclientsWinsOverRelayclientsAndOverAuthorizedAddresses(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.1.9", "sender@client.example", "user@foreign.example")).isEqualTo("550 5.7.1 Relaying denied");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.3.3", "sender@client.example", "user@foreign.example")).isEqualTo("550 5.7.1 Relaying denied");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.3.4", "sender@client.example", "user@foreign.example")).startsWith("250 ");
    }

    @Test
    void mailForAnRcpthostsDomainFromAnyClientIsDeliveredToItsNextHopLikeABackupMx(GuiceJamesServer server) throws Exception {
        NEXT_HOP.reset();
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.9")) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<sender@client.example>");
            assertThat(smtp.command("RCPT TO:<user@backup.example>")).startsWith("250 ");
            assertThat(smtp.data("Subject: for the primary\r\n\r\nbody\r\n")).startsWith("250 ");
        }
        assertThat(NEXT_HOP.awaitMessages(1)).hasSize(1);
        assertThat(NEXT_HOP.envelopeRecipients()).containsExactly("user@backup.example");
    }

    @Test
    void mailFromARelayclientIsRelayedToItsNextHop(GuiceJamesServer server) throws Exception {
        NEXT_HOP.reset();
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.1.7")) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<sender@client.example>");
            assertThat(smtp.command("RCPT TO:<user@foreign.example>")).startsWith("250 ");
            assertThat(smtp.data("Subject: relayed\r\n\r\nbody\r\n")).startsWith("250 ");
        }
        assertThat(NEXT_HOP.awaitMessages(1)).hasSize(1);
    }

    @Test
    void localUsersAreStillCheckedByJames(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.9", "sender@client.example", "nobody@localhost")).startsWith("550 ");
    }
}
