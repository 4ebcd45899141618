package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.SmtpConversation;

/** qpsmtpd's badmailfrom, badrcptto and badmailfromto through the bundled James. */
class AddressListsIT {
    static final String OUTSIDE = "127.0.0.20";
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory()
        .write("badmailfrom",
            "spammer@bad.example",
            "@bulk.example   We do not take bulk mail",
            "^return.*@.*\\.pidplate\\.biz$  Your right-hand side VERP doesn't fool me")
        .write("badrcptto", "closed@localhost", "@gone.example Gone for good", "^trap[0-9]+@")
        .write("badmailfromto", "stalker@evil.example\tvictim@localhost", "@evil.example\tceo@localhost")
        .write("rcpthosts", "accepted.example", "gone.example");

    @RegisterExtension
    static JamesServerExtension james = CHAIN.james(
            CHAIN.handler("BadMailFrom"),
            CHAIN.handler("BadRcptTo"),
            CHAIN.handler("BadMailFromTo"),
            CHAIN.handler("RcptOk"))
        .build();

    @Test
    void deniesAListedSenderWithQpsmtpdsText(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "spammer@bad.example"))
            .isEqualTo("550 5.7.1 Your envelope sender is in my badmailfrom list");
    }

    @Test
    void matchesAddressesCaseInsensitively(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "SPAMMER@Bad.Example"))
            .isEqualTo("550 5.7.1 Your envelope sender is in my badmailfrom list");
    }

    @Test
    void deniesAWholeHostWithTheListedReasonButNotItsSubdomains(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "anyone@bulk.example")).isEqualTo("550 5.7.1 We do not take bulk mail");
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "anyone@news.bulk.example")).startsWith("250 ");
    }

    @Test
    void deniesSendersMatchingARegexEntry(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "return-123@mx.pidplate.biz"))
            .isEqualTo("550 5.7.1 Your right-hand side VERP doesn't fool me");
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "info@pidplate.biz")).startsWith("250 ");
    }

    @Test
    void neverChecksTheNullSender(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "")).startsWith("250 ");
    }

    /** The bundled smtpserver.xml has QmailNullSender in front of James's MAIL handler. */
    @Test
    void takesQmailsDoubleBounceSenderAsTheNullSender(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "#@[]")).isEqualTo("250 2.1.0 Sender <> OK");
    }

    @Test
    void relayClientsAreImmune(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, QpsmtpdChain.INSIDE, "client.example", "spammer@bad.example")).startsWith("250 ");
    }

    @Test
    void deniesListedRecipientsAsUnknown(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, OUTSIDE, "friend@client.example", "Closed@LOCALHOST"))
            .isEqualTo("550 5.1.1 mail to closed@localhost not accepted here");
        assertThat(QpsmtpdChain.rcptToReply(server, OUTSIDE, "friend@client.example", "anyone@gone.example")).isEqualTo("550 5.1.1 Gone for good");
        assertThat(QpsmtpdChain.rcptToReply(server, OUTSIDE, "friend@client.example", "trap42@accepted.example"))
            .isEqualTo("550 5.1.1 mail to trap42@accepted.example not accepted here");
        assertThat(QpsmtpdChain.rcptToReply(server, OUTSIDE, "friend@client.example", "user@accepted.example")).startsWith("250 ");
    }

    @Test
    void deniesARecipientOnlyForTheSenderPairedWithIt(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, OUTSIDE)) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<Stalker@evil.example>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<victim@localhost>")).isEqualTo("550 5.1.1 mail to victim@localhost not accepted here");
            assertThat(smtp.command("RCPT TO:<ceo@localhost>")).isEqualTo("550 5.1.1 mail to ceo@localhost not accepted here");
            assertThat(smtp.command("RCPT TO:<user@accepted.example>")).startsWith("250 ");
            assertThat(smtp.command("RSET")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<friend@client.example>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<victim@localhost>")).doesNotContain("not accepted here");
        }
    }

    @Test
    void anEditedListTakesEffectWithoutRestart(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "newcomer@fresh.example")).startsWith("250 ");

        CHAIN.write("badmailfrom", "spammer@bad.example", "newcomer@fresh.example Not you either");

        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
            assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "newcomer@fresh.example")).isEqualTo("550 5.7.1 Not you either"));
        assertThat(QpsmtpdChain.mailFromReply(server, OUTSIDE, "client.example", "anyone@bulk.example")).startsWith("250 ");
    }

    @Test
    void anInvalidEditKeepsTheLastGoodList(GuiceJamesServer server) throws Exception {
        CHAIN.write("badrcptto", "closed@localhost", "@gone.example Gone for good", "^trap[0-9]+@", "also@localhost");
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
            assertThat(QpsmtpdChain.rcptToReply(server, OUTSIDE, "friend@client.example", "also@localhost")).contains("not accepted here"));

        CHAIN.write("badrcptto", "closed@localhost", "(unbalanced@localhost", "no-at-sign");
        Thread.sleep(1500);

        assertThat(QpsmtpdChain.rcptToReply(server, OUTSIDE, "friend@client.example", "also@localhost")).contains("not accepted here");
    }
}
