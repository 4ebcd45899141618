package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.SmtpSink;

/**
 * The reply to the end of DATA is held until the spool's fsync (DeferredReplyHandler in the
 * shipped smtpserver.xml) while the I/O thread goes on: commands the client pipelined behind the
 * final dot wait their turn, so the replies come back in order and every message arrives.
 */
class DeferredReplyIT {
    /** The held 250 names the message's queue ID, as Postfix's "250 2.0.0 Ok: queued as …" does. */
    static final String QUEUED = "250 2\\.6\\.0 Message received, queued as [0-9A-F]{21}";

    static final SmtpSink NEXT_HOP = SmtpSink.start();

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "pipelined.example " + NEXT_HOP.hostAndPort() + "\n")
        .build();

    @AfterAll
    static void stopNextHop() {
        NEXT_HOP.close();
    }

    static String message(String subject) {
        return "From: sender@client.example\r\nTo: user@pipelined.example\r\nSubject: " + subject + "\r\n\r\nbody of " + subject + "\r\n";
    }

    @Test
    void commandsPipelinedBehindTheFinalDotAreAnsweredAfterItsReplyInOrder(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).contains("PIPELINING");
            assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<user@pipelined.example>")).startsWith("250");
            assertThat(smtp.command("DATA")).startsWith("354");

            // one write: the first message's end and the whole next transaction up to DATA
            smtp.write(message("first") + ".\r\nMAIL FROM:<sender@client.example>\r\nRCPT TO:<user@pipelined.example>\r\nDATA\r\n");
            assertThat(smtp.readReply()).matches(QUEUED);
            assertThat(smtp.readReply()).startsWith("250 2.1.0");
            assertThat(smtp.readReply()).startsWith("250 2.1.5");
            assertThat(smtp.readReply()).startsWith("354");

            smtp.write(message("second") + ".\r\nQUIT\r\n");
            assertThat(smtp.readReply()).matches(QUEUED);
            assertThat(smtp.readReply()).startsWith("221");
            assertThat(smtp.isClosedByServer()).isTrue();
        }

        List<MimeMessage> received = NEXT_HOP.awaitMessages(2);
        assertThat(received.stream().map(DeferredReplyIT::subject).collect(Collectors.toList()))
            .containsExactlyInAnyOrder("first", "second");
    }

    @Test
    void manySessionsAtOnceAreAllAnsweredAndDelivered(GuiceJamesServer server) throws Exception {
        NEXT_HOP.reset();
        int sessions = 20;
        List<Thread> clients = new ArrayList<>();
        List<String> replies = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < sessions; i++) {
            String subject = "parallel " + i;
            Thread client = new Thread(() -> {
                try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
                    smtp.readReply();
                    smtp.command("HELO client.example");
                    smtp.command("MAIL FROM:<sender@client.example>");
                    smtp.command("RCPT TO:<user@pipelined.example>");
                    replies.add(smtp.data(message(subject)));
                    smtp.command("QUIT");
                } catch (Exception e) {
                    replies.add(e.toString());
                }
            });
            clients.add(client);
            client.start();
        }
        for (Thread client : clients) {
            client.join(60_000);
        }

        assertThat(replies).hasSize(sessions).allMatch(reply -> reply.matches(QUEUED));
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(NEXT_HOP.messages().stream()
            .map(DeferredReplyIT::subject).filter(subject -> subject.startsWith("parallel ")).distinct().count()).isEqualTo(sessions));
    }

    static String subject(MimeMessage message) {
        try {
            return message.getSubject();
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }
}
