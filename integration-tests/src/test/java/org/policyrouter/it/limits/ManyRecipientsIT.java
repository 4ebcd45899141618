package org.policyrouter.it.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.ConfEdits;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.ScriptedSmtpServer;
import org.policyrouter.it.SmtpConversation;

/**
 * Issue 19, item 10: recipients. No limit was shipped (50,000 RCPTs were taken, and that message
 * held a spooler thread 490 s); now the 1,001st recipient of a message gets {@code 452 4.5.3}, as
 * with Postfix's {@code smtpd_recipient_limit}, and the message goes on with the first 1,000. Header
 * rewriting (rewriteHeaders) changes only the addresses: UTF-8 text, header order and spelling
 * stay as received. How long 50,000 recipients and a 20,000-address header take:
 * {@link ManyRecipientsBenchmark}.
 */
class ManyRecipientsIT {
    static final ScriptedSmtpServer NEXT_HOP = recording();

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "many.example " + NEXT_HOP.hostAndPort() + "\n")
        .withFile("policy/rewrite", "to *.old.example many.example\nfrom *.servers.client.example client.example\n")
        .editConf("mailetcontainer.xml", xml -> ConfEdits.mailetParameter(xml, "org.policyrouter.mailets.RewriteAddresses", "rewriteHeaders", "true"))
        .build();

    static ScriptedSmtpServer recording() {
        try {
            return ScriptedSmtpServer.recording();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        NEXT_HOP.close();
    }

    static SmtpConversation transaction(GuiceJamesServer server, String from) throws Exception {
        SmtpConversation smtp = SmtpConversation.open(PolicyRouterJames.smtpPort(server), Duration.ofSeconds(30));
        assertThat(smtp.readReply()).startsWith("220");
        assertThat(smtp.command("EHLO client.example")).startsWith("250");
        assertThat(smtp.command("MAIL FROM:<" + from + ">")).startsWith("250");
        return smtp;
    }

    @Test
    void theThousandAndFirstRecipientGets452AndTheFirstThousandAreDelivered(GuiceJamesServer server) throws Exception {
        List<String> replies = new ArrayList<>();
        try (SmtpConversation smtp = transaction(server, "limit@client.example")) {
            StringBuilder pipelined = new StringBuilder();
            for (int i = 0; i < 1005; i++) {
                pipelined.append("RCPT TO:<r").append(i).append("@many.example>\r\n");
            }
            smtp.write(pipelined.toString());
            for (int i = 0; i < 1005; i++) {
                replies.add(smtp.readReply());
            }
            assertThat(smtp.data("From: limit@client.example\r\nSubject: a thousand\r\n\r\nbody\r\n")).startsWith("250 2.6.0");
        }
        assertThat(replies.subList(0, 1000)).allMatch(reply -> reply.startsWith("250 2.1.5"));
        assertThat(replies.subList(1000, 1005)).containsOnly("452 4.5.3 Too many recipients");

        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> NEXT_HOP.commands().stream().filter(c -> c.startsWith("RCPT TO:<r999@")).count() == 1);
        assertThat(NEXT_HOP.commands().stream().filter(c -> c.matches("RCPT TO:<r\\d+@many\\.example>.*"))).hasSize(1000);
        assertThat(NEXT_HOP.commands()).noneMatch(c -> c.startsWith("RCPT TO:<r1000@"));
    }

    @Test
    void theNextTransactionOfTheSessionHasItsOwnThousand(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = transaction(server, "again@client.example")) {
            StringBuilder pipelined = new StringBuilder();
            for (int i = 0; i < 1001; i++) {
                pipelined.append("RCPT TO:<s").append(i).append("@many.example>\r\n");
            }
            smtp.write(pipelined.toString());
            for (int i = 0; i < 1001; i++) {
                smtp.readReply();
            }
            assertThat(smtp.command("RSET")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<again@client.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<t0@many.example>")).startsWith("250 2.1.5");
        }
    }

    @Test
    void headerRewritingChangesOnlyTheAddresses(GuiceJamesServer server) throws Exception {
        String headers = "From: Jörg Müller <cron@db1.servers.client.example>\r\n"
            + "Subject: Grüße\r\n"
            + "TO: jörg <joerg@a.old.example>, \"Zoë, the other\" <zoe@elsewhere.example>,\r\n"
            + " Team: ops@b.old.example;\r\n"
            + "Cc: =?UTF-8?Q?Zo=C3=AB?= <z@c.old.example> (copy)\r\n";
        try (SmtpConversation smtp = transaction(server, "cron@db1.servers.client.example")) {
            assertThat(smtp.command("RCPT TO:<joerg@a.old.example>")).startsWith("250");
            assertThat(smtp.data(headers + "\r\nbody ö\r\n")).startsWith("250 2.6.0");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> NEXT_HOP.messages().stream()
            .anyMatch(bytes -> new String(bytes, StandardCharsets.UTF_8).contains("Subject: Grüße")));
        String received = NEXT_HOP.messages().stream().map(bytes -> new String(bytes, StandardCharsets.UTF_8))
            .filter(text -> text.contains("Subject: Grüße")).findFirst().orElseThrow();

        assertThat(received).startsWith("Received: ");
        assertThat(received.substring(received.indexOf("\r\nFrom: ") + 2)).isEqualTo(headers
            .replace("<cron@db1.servers.client.example>", "<cron@client.example>")
            .replace("<joerg@a.old.example>", "<joerg@many.example>")
            .replace("ops@b.old.example;", "ops@many.example;")
            .replace("<z@c.old.example>", "<z@many.example>")
            + "\r\nbody ö\r\n");
    }
}
