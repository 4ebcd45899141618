package org.policyrouter.it.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.ScriptedSmtpServer;
import org.policyrouter.it.SmtpConversation;

/**
 * Issue 19, item 3: a DATA line longer than James's 8,190 bytes. James answered {@code 500 Line
 * length exceeded} in the middle of DATA (a reply the client does not read there), then 250 at the
 * dot, and delivered the message without that line. Now a line up to the shipped
 * {@code maxLineLength} (65,536 bytes) is taken whole, and a message with a longer line gets one
 * reply, at its end, {@code 552 5.3.4}, and nothing of it is delivered.
 */
class LongDataLinesIT {
    static final ScriptedSmtpServer NEXT_HOP = recording();

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "long.example " + NEXT_HOP.hostAndPort() + "\n")
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

    static String message(String subject, String longLine) {
        return "From: sender@client.example\r\nTo: rcpt@long.example\r\nSubject: " + subject + "\r\n\r\nbefore\r\n" + longLine + "\r\nafter\r\n";
    }

    static SmtpConversation transaction(GuiceJamesServer server) throws Exception {
        SmtpConversation smtp = SmtpConversation.open(PolicyRouterJames.smtpPort(server), Duration.ofSeconds(30));
        assertThat(smtp.readReply()).startsWith("220");
        assertThat(smtp.command("EHLO client.example")).startsWith("250");
        return smtp;
    }

    static String send(SmtpConversation smtp, String message) throws Exception {
        assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250");
        assertThat(smtp.command("RCPT TO:<rcpt@long.example>")).startsWith("250");
        return smtp.data(message);
    }

    static String received(String subject) {
        return NEXT_HOP.messages().stream().map(bytes -> new String(bytes, StandardCharsets.UTF_8))
            .filter(text -> text.contains("Subject: " + subject + "\r\n")).findFirst().orElse(null);
    }

    @Test
    void aLineOfTwentyThousandBytesIsDeliveredWhole(GuiceJamesServer server) throws Exception {
        String line = "x".repeat(20_000);
        try (SmtpConversation smtp = transaction(server)) {
            assertThat(send(smtp, message("twenty thousand", line))).startsWith("250 2.6.0");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received("twenty thousand") != null);
        assertThat(received("twenty thousand")).endsWith(message("twenty thousand", line));
    }

    @Test
    void aLineOfExactlyTheLimitIsDeliveredWhole(GuiceJamesServer server) throws Exception {
        String line = "y".repeat(65_536);
        try (SmtpConversation smtp = transaction(server)) {
            assertThat(send(smtp, message("at the limit", line))).startsWith("250 2.6.0");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received("at the limit") != null);
        assertThat(received("at the limit")).endsWith(message("at the limit", line));
    }

    @Test
    void aMessageWithALineOverTheLimitGetsOneRefusalAtItsEndAndNothingIsDelivered(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = transaction(server)) {
            assertThat(send(smtp, message("too long", "z".repeat(65_537))))
                .isEqualTo("552 5.3.4 Message refused: a line is longer than 65536 bytes");
            // no reply was left over from the middle of DATA, and the session goes on
            assertThat(smtp.command("NOOP")).startsWith("250");
            assertThat(send(smtp, message("next one", "short"))).startsWith("250 2.6.0");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received("next one") != null);
        assertThat(received("too long")).isNull();
        assertThat(NEXT_HOP.messages()).noneMatch(bytes -> new String(bytes, StandardCharsets.UTF_8).contains("Subject: too long"));
    }

    @Test
    void aLineOverTheLimitInTheHeaderIsRefusedToo(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = transaction(server)) {
            assertThat(send(smtp, "From: sender@client.example\r\nX-Long: " + "h".repeat(70_000) + "\r\nSubject: long header\r\n\r\nbody\r\n"))
                .startsWith("552 5.3.4");
        }
        try (SmtpConversation smtp = transaction(server)) {
            assertThat(send(smtp, message("after the long header", "short"))).startsWith("250");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received("after the long header") != null);
        assertThat(received("long header")).isNull();
    }

    @Test
    void aCommandLineOverTheLimitGets500AndTheSessionGoesOn(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = transaction(server)) {
            assertThat(smtp.command("NOOP " + "n".repeat(70_000))).isEqualTo("500 5.5.2 Line too long (over 65536 bytes)");
            assertThat(smtp.command("NOOP")).startsWith("250");
        }
    }

    /**
     * Megabytes of over-long lines in one session: the lines thrown away count as read and done for
     * the backpressure that pauses reading while too much waits (1 MiB), else reading would stay
     * paused for good and the client would hang in the middle of the message.
     */
    @Test
    void megabytesOfTooLongLinesNeitherHangTheSessionNorTheNextMessage(GuiceJamesServer server) {
        String tooLong = ("q".repeat(100_000) + "\r\n").repeat(60);
        String longButFine = ("r".repeat(60_000) + "\r\n").repeat(60);
        // a paused read blocks the client's write, which no socket timeout ends
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (SmtpConversation smtp = transaction(server)) {
                assertThat(send(smtp, message("six megabytes too long", tooLong))).startsWith("552 5.3.4");
                assertThat(send(smtp, message("three and a half megabytes fine", longButFine))).startsWith("250 2.6.0");
            }
        });
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> received("three and a half megabytes fine") != null);
        assertThat(received("three and a half megabytes fine")).endsWith(message("three and a half megabytes fine", longButFine));
        assertThat(received("six megabytes too long")).isNull();
    }

    /**
     * A client that sends its whole transaction at once without waiting for the replies (RFC 2920
     * forbids sending after DATA before the 354): the too-long line still counts as part of the
     * message, however long James took to start the DATA.
     */
    @Test
    void aTooLongLinePipelinedRightBehindDataStillRefusesTheMessage(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = transaction(server)) {
            smtp.write("MAIL FROM:<sender@client.example>\r\nRCPT TO:<rcpt@long.example>\r\nDATA\r\n"
                + message("pipelined too long", "p".repeat(70_000)) + ".\r\n");
            assertThat(smtp.readReply()).startsWith("250");
            assertThat(smtp.readReply()).startsWith("250");
            assertThat(smtp.readReply()).startsWith("354");
            assertThat(smtp.readReply()).startsWith("552 5.3.4");
            assertThat(send(smtp, message("after the pipelined one", "short"))).startsWith("250");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received("after the pipelined one") != null);
        assertThat(received("pipelined too long")).isNull();
    }
}
