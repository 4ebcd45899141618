package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.apache.james.mailbox.model.MultimailboxesSearchQuery;
import org.apache.james.mailbox.model.SearchQuery;
import org.apache.james.modules.MailboxProbeImpl;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * RFC 5321 4.5.1 through the bundled server as shipped: postmaster, with or without a domain and
 * in any case, is accepted from any client and reaches the postmaster's mailbox (postmaster@localhost,
 * mailetcontainer.xml's {@code <postmaster>}), although no user of that name exists.
 */
class PostmasterIT {
    static final String POSTMASTER = "postmaster@localhost";

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .editConf("smtpserver.xml", xml -> xml.replace("<authorizedAddresses>127.0.0.0/8</authorizedAddresses>",
            "<authorizedAddresses>127.0.0.1/32</authorizedAddresses>"))
        .build();

    private static SmtpConversation outsideClient(GuiceJamesServer server) throws Exception {
        SmtpConversation smtp = SmtpConversation.openFrom("127.0.0.9", PolicyRouterJames.smtpPort(server), Duration.ofSeconds(30));
        assertThat(smtp.readReply()).isEqualTo("220 james-policy-router ESMTP");
        return smtp;
    }

    private static long postmasterMessages(GuiceJamesServer server) {
        return server.getProbe(MailboxProbeImpl.class)
            .searchMessage(MultimailboxesSearchQuery.from(SearchQuery.matchAll()).build(), POSTMASTER, 100).size();
    }

    @Test
    void acceptsPostmasterWithoutADomainInAnyCaseAndDeliversItToThePostmaster(GuiceJamesServer server) throws Exception {
        long before = postmasterMessages(server);
        try (SmtpConversation smtp = outsideClient(server)) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<someone@client.example>")).isEqualTo("250 2.1.0 Sender <someone@client.example> OK");
            assertThat(smtp.command("RCPT TO:<postmaster>")).isEqualTo("250 2.1.5 Recipient <postmaster@localhost> OK");
            assertThat(smtp.data("Subject: to the postmaster\r\n\r\nbody\r\n")).startsWith("250 ");
            assertThat(smtp.command("MAIL FROM:<someone@client.example>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<Postmaster>")).isEqualTo("250 2.1.5 Recipient <Postmaster@localhost> OK");
            assertThat(smtp.data("Subject: to the Postmaster\r\n\r\nbody\r\n")).startsWith("250 ");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> postmasterMessages(server) == before + 2);
    }

    @Test
    void acceptsPostmasterAtOurDomainButOtherUnknownLocalUsersStillGet550(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = outsideClient(server)) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<someone@client.example>");
            assertThat(smtp.command("RCPT TO:<POSTMASTER@localhost>")).isEqualTo("250 2.1.5 Recipient <POSTMASTER@localhost> OK");
            assertThat(smtp.command("RCPT TO:<nobody@localhost>")).isEqualTo("550 5.1.1 Unknown user: nobody@localhost");
        }
    }

    @Test
    void postmasterAtAForeignDomainIsNotARelayLoophole(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = outsideClient(server)) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<someone@client.example>");
            assertThat(smtp.command("RCPT TO:<postmaster@foreign.example>")).startsWith("550 5.7.1 ");
        }
    }
}
