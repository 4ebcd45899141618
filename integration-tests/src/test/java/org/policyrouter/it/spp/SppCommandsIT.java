package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import javax.mail.internet.MimeMessage;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.SmtpSink;

/** Every qmail-spp command in every section, through the shipped handler block, with shell-script plugins. */
class SppCommandsIT {
    static final SmtpSink NEXT_HOP = SmtpSink.start();
    static final SppPlugins PLUGINS = SppPlugins.create();

    @RegisterExtension
    static JamesServerExtension james = PLUGINS.configure(PolicyRouterJames.builder()
            .withFile("policy/transport", "example.net " + NEXT_HOP.hostAndPort() + "\n"),
        xml -> xml.replace("<!--\n                <client network=\"192.0.2.0/24\">",
            "<client network=\"127.0.0.0/8\"><variable name=\"TARPITCOUNT\">5</variable></client>"
                + "<client network=\"127.0.0.1/32\"><variable name=\"MAXBOUNCERCPTS\">1</variable></client>\n"
                + "                <!--\n                <client network=\"192.0.2.0/24\">"))
        .build();

    static final String MESSAGE = String.join("\r\n",
        "From: sender@example.org",
        "To: rcpt@example.net",
        "Subject: spp",
        "",
        "body",
        "");

    @AfterAll
    static void stopSink() {
        NEXT_HOP.close();
    }

    @BeforeEach
    void reset() {
        NEXT_HOP.reset();
        PLUGINS.smtpplugins("[connection]");
    }

    private static SmtpConversation connect(GuiceJamesServer server) throws Exception {
        return SmtpConversation.connect(PolicyRouterJames.smtpPort(server));
    }

    @Test
    void deliversUnchangedWhenNoPluginIsListed(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = connect(server)) {
            assertThat(smtp.readReply()).isEqualTo("220 james-policy-router ESMTP");
            assertThat(smtp.command("HELO client.example")).startsWith("250 ");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("250 2.1.0 Sender <sender@example.org> OK");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).isEqualTo("250 2.1.5 Recipient <rcpt@example.net> OK");
            assertThat(smtp.data(MESSAGE)).startsWith("250 ");
        }
        assertThat(NEXT_HOP.awaitMessages(1)).hasSize(1);
    }

    @Test
    void errorAtMailRejectsWithThePluginsOwnReply(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[mail]", ":echo \"E553 5.7.1 sender $SMTPMAILFROM refused\"");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<bad@example.org>")).isEqualTo("553 5.7.1 sender bad@example.org refused");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).startsWith("503 ");
        }
    }

    @Test
    void errorAtConnectionReplacesTheGreetingAndTheSessionGoesOnAsInQmailSpp(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[connection]", ":echo 'P554-5.7.1 this host does not take mail from you'; echo 'E554 5.7.1 go away'");

        try (SmtpConversation smtp = connect(server)) {
            assertThat(smtp.readReply()).isEqualTo("554-5.7.1 this host does not take mail from you\n554 5.7.1 go away");
            assertThat(smtp.command("QUIT")).startsWith("221 ");
        }
    }
    @Test
    void rejectAtHeloSendsTheMessageThenDropsTheConnection(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[helo]", ":echo 'R421 4.7.0 $SMTPHELOHOST is not welcome'", ":echo E550 never run");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            assertThat(smtp.command("HELO spammer.example")).isEqualTo("421 4.7.0 $SMTPHELOHOST is not welcome");
            assertThat(smtp.isClosedByServer()).isTrue();
        }
    }

    @Test
    void dropAtRcptClosesTheConnectionWithoutAWord(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", ":echo D");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("HELO client.example");
            smtp.command("MAIL FROM:<sender@example.org>");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).isNull();
        }
    }

    @Test
    void dropAtConnectionClosesBeforeAnyGreeting(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[connection]", ":echo D");

        try (SmtpConversation smtp = connect(server)) {
            assertThat(smtp.readReply()).isNull();
        }
    }

    @Test
    void errorsQueuedByLmLrLdShowAtTheNextSuchCommandAndAgainUntilRset(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins(
            "[connection]", ":echo LR553 5.7.1 listed at connection",
            "[helo]", ":echo LD554 5.7.1 no data for you",
            "[rcpt]", ":echo E550 never reached while an LR error is queued");

        try (SmtpConversation smtp = connect(server)) {
            assertThat(smtp.readReply()).isEqualTo("220 james-policy-router ESMTP");
            assertThat(smtp.command("HELO client.example")).startsWith("250 ");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("250 2.1.0 Sender <sender@example.org> OK");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).isEqualTo("553 5.7.1 listed at connection");
            assertThat(smtp.command("RCPT TO:<other@example.net>")).isEqualTo("553 5.7.1 listed at connection");
            assertThat(smtp.command("RSET")).startsWith("250 ");
            PLUGINS.smtpplugins("[connection]");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).isEqualTo("550 never reached while an LR error is queued");
        }
    }

    @Test
    void anLdErrorRefusesTheDataCommandAndAnLmErrorTheNextMail(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[helo]", ":echo LM451 4.7.1 greylisted, come back later", "[mail]", ":echo LD554 5.7.1 no data for you");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("HELO client.example");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("451 4.7.1 greylisted, come back later");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("451 4.7.1 greylisted, come back later");
        }
        PLUGINS.smtpplugins("[mail]", ":echo LD554 5.7.1 no data for you");
        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("HELO client.example");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).startsWith("250 ");
            assertThat(smtp.command("DATA")).isEqualTo("554 5.7.1 no data for you");
        }
    }

    @Test
    void changeRewritesTheSenderAndTheRecipientSeenAtTheNextHop(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins(
            "[mail]", ":echo Cbounces@example.org",
            "[rcpt]", ":test \"$SMTPRCPTTO\" = spam@example.net && echo Cquarantine@example.net; echo \"HX-Original-Rcpt: $SMTPRCPTTO\"");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("HELO client.example");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("250 2.1.0 Sender <bounces@example.org> OK");
            assertThat(smtp.command("RCPT TO:<spam@example.net>")).isEqualTo("250 2.1.5 Recipient <quarantine@example.net> OK");
            assertThat(smtp.data(MESSAGE)).startsWith("250 ");
        }

        MimeMessage received = NEXT_HOP.awaitMessages(1).get(0);
        assertThat(received.getHeader("Return-Path")).containsExactly("<bounces@example.org>");
        assertThat(SmtpSink.raw(received)).contains("\r\n          for <quarantine@example.net>;\r\n");
        assertThat(received.getHeader("X-Original-Rcpt")).containsExactly("spam@example.net");
    }

    @Test
    void headersGoRightAfterJamesReceivedLineInCommandOrder(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins(
            "[helo]", ":echo 'HX-Spp-Helo: $SMTPHELOHOST'",
            "[mail]", ":echo \"HX-Spp-Mail: $SMTPMAILFROM\"",
            "[rcpt]", ":echo \"HX-Spp-Rcpt: $SMTPRCPTTO\"",
            "[data]", ":echo HX-Spam-Flag: YES");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("HELO client.example");
            smtp.command("MAIL FROM:<sender@example.org>");
            smtp.command("RCPT TO:<rcpt@example.net>");
            assertThat(smtp.data(MESSAGE)).startsWith("250 ");
        }

        String raw = SmtpSink.raw(NEXT_HOP.awaitMessages(1).get(0));
        String headers = raw.substring(0, raw.indexOf("\r\n\r\n"));
        int james = headers.indexOf("Received: from localhost (HELO client.example)");
        assertThat(james).as(raw).isPositive();
        assertThat(headers.substring(james)).as(raw).matches("(?s)Received: from localhost [^\n]*\n(\\s[^\n]*\n)*"
            + "X-Spp-Helo: \\$SMTPHELOHOST\r\nX-Spp-Mail: sender@example.org\r\nX-Spp-Rcpt: rcpt@example.net\r\nX-Spam-Flag: YES\r\n"
            + "From: sender@example.org\r\nTo: rcpt@example.net\r\nSubject: spp");
        assertThat(headers).as("nothing else added or re-encoded").doesNotContain("Message-ID", "MIME-Version");
    }

    @Test
    void variablesSetByAPluginAreSeenByLaterPluginsOfLaterCommands(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins(
            "[helo]", ":echo \"Sgreeted=$SMTPHELOHOST\"; echo Sdoomed=yes",
            "[mail]", ":echo Udoomed",
            "[rcpt]", ":echo \"E550 5.7.1 greeted=$greeted doomed=${doomed-unset} rcpt=$SMTPRCPTTO\"");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("HELO client.example");
            smtp.command("MAIL FROM:<sender@example.org>");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).isEqualTo("550 5.7.1 greeted=client.example doomed=unset rcpt=rcpt@example.net");
        }
    }

    @Test
    void pluginsSeeTcpserverVariablesAndTheVariablesOfTheMostSpecificClientNetwork(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[helo]",
            ":echo \"E550 ip=$TCPREMOTEIP local=$TCPLOCALIP:$TCPLOCALPORT host=$TCPLOCALHOST proto=$PROTO relay=${RELAYCLIENT+set}"
                + " tarpit=$TARPITCOUNT bounce=$MAXBOUNCERCPTS path=$PATH\"");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            String reply = smtp.command("HELO client.example");
            assertThat(reply).startsWith("550 ip=127.0.0.1 local=127.0.0.1:" + PolicyRouterJames.smtpPort(server) + " host=");
            assertThat(reply).endsWith(" proto=TCP relay=set tarpit= bounce=1 path=/usr/local/bin:/usr/bin:/bin");
        }
    }

    @Test
    void nextSkipsTheRemainingPluginsOfTheCommandOnly(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins(
            "[mail]", ":echo N", ":echo E550 skipped by N",
            "[rcpt]", ":echo \"E550 5.7.1 rcpt plugins still run\"");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("HELO client.example");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).isEqualTo("550 5.7.1 rcpt plugins still run");
        }
    }

    @Test
    void acceptTurnsEveryPluginOffForTheRestOfTheSession(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins(
            "[helo]", ":echo A", ":echo E550 skipped by A",
            "[mail]", ":echo E550 not run after A",
            "[rcpt]", ":echo E550 not run after A");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            assertThat(smtp.command("HELO client.example")).startsWith("250 ");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).startsWith("250 ");
            assertThat(smtp.data(MESSAGE)).startsWith("250 ");
        }
        assertThat(NEXT_HOP.awaitMessages(1)).hasSize(1);
    }

    @Test
    void noSppSetByAPluginTurnsPluginsOff(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[helo]", ":echo SNOSPP=1", ":echo E550 not run", "[mail]", ":echo E550 not run either");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            assertThat(smtp.command("HELO client.example")).startsWith("250 ");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).startsWith("250 ");
        }
    }

    @Test
    void printSendsItsLinesBeforeTheReply(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", ":echo 'P250-note: recipient $SMTPRCPTTO checked'", ":echo \"P250-count $SMTPRCPTCOUNT of $SMTPRCPTCOUNTALL, hosts ok $SMTPRCPTHOSTSOK\"");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("HELO client.example");
            smtp.command("MAIL FROM:<sender@example.org>");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>"))
                .isEqualTo("250-note: recipient $SMTPRCPTTO checked\n250-count 0 of 1, hosts ok 1\n250 2.1.5 Recipient <rcpt@example.net> OK");
            assertThat(smtp.command("RCPT TO:<second@example.net>")).contains("250-count 1 of 2, hosts ok 1");
        }
    }

    @Test
    void dataPluginsAnswerTheDataCommandBeforeTheMessage(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[data]", ":echo \"E554 5.7.1 $SMTPMAILFROM may not send to $SMTPRCPTTO\"");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("HELO client.example");
            smtp.command("MAIL FROM:<sender@example.org>");
            smtp.command("RCPT TO:<rcpt@example.net>");
            assertThat(smtp.command("DATA")).isEqualTo("554 5.7.1 sender@example.org may not send to rcpt@example.net");
        }
    }

    @Test
    void pipelinedCommandsGetTheirRepliesInOrder(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[mail]", ":sleep 0.2; echo HX-Slow: yes", "[rcpt]", ":test $SMTPRCPTTO = bad@example.net && echo E550 5.1.1 bad; true");

        try (SmtpConversation smtp = connect(server)) {
            smtp.readReply();
            smtp.command("EHLO client.example");
            smtp.write("MAIL FROM:<sender@example.org>\r\nRCPT TO:<bad@example.net>\r\nRCPT TO:<rcpt@example.net>\r\nDATA\r\n");
            assertThat(smtp.readReply()).startsWith("250 2.1.0");
            assertThat(smtp.readReply()).isEqualTo("550 5.1.1 bad");
            assertThat(smtp.readReply()).startsWith("250 2.1.5");
            assertThat(smtp.readReply()).startsWith("354");
            smtp.write(MESSAGE + ".\r\n");
            assertThat(smtp.readReply()).startsWith("250 ");
        }
        assertThat(NEXT_HOP.awaitMessages(1).get(0).getHeader("X-Slow")).containsExactly("yes");
    }
}
