package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 19, item 2, through the bundled server: {@code case@ok.test} and {@code CASE@ok.test} in
 * one message are two recipients (RFC 5321 2.4: the local part is case-sensitive) and both reach
 * the next hop. Before, James's recipient rewriting in {@code transport} merged them in a
 * case-insensitive set and one vanished, with no log line and no report.
 */
class CaseExactRecipientsIT {
    static final ScriptedSmtpServer NEXT_HOP = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "ok.test " + NEXT_HOP.hostAndPort() + "\n")
        .build();

    @AfterAll
    static void stop() throws Exception {
        NEXT_HOP.close();
    }

    private List<String> rcpts() {
        return NEXT_HOP.commands().stream().filter(command -> command.toUpperCase().startsWith("RCPT TO:"))
            .collect(Collectors.toList());
    }

    @Test
    void recipientsDifferingOnlyInCaseAllReachTheNextHop(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<case@ok.test>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<CASE@ok.test>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<Case@ok.test>")).startsWith("250");
            assertThat(smtp.data("From: sender@client.example\r\nSubject: three mailboxes\r\n\r\nhello\r\n")).startsWith("250");
            smtp.command("QUIT");
        }

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> NEXT_HOP.messages().size() >= 1);
        assertThat(NEXT_HOP.messages()).hasSize(1);
        assertThat(rcpts()).containsExactlyInAnyOrder("RCPT TO:<case@ok.test>", "RCPT TO:<CASE@ok.test>", "RCPT TO:<Case@ok.test>");
    }
}
