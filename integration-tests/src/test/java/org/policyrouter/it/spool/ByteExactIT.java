package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.ScriptedSmtpServer;
import org.policyrouter.it.SmtpConversation;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Every stored copy is the message as received: a message without Date, Message-ID or
 * MIME-Version, with 8-bit headers and body and odd header folding, reaches its next hop after two
 * deferrals with exactly the bytes the client sent (after the Received: line James adds), and so do
 * the archive's copy and the original attached to a non-delivery report.
 */
class ByteExactIT {
    /** Answers 451 to the first two RCPTs, then accepts: two deferrals before delivery. */
    static final AtomicInteger ATTEMPTS = new AtomicInteger();
    static final ScriptedSmtpServer FLAKY = scripted(address -> ATTEMPTS.incrementAndGet() <= 2 ? "451 4.3.0 try again later" : "250 2.1.5 OK");
    static final ScriptedSmtpServer REFUSING = scripted(address -> "550 5.1.1 <" + address + ">: no such user here");
    static final EnvelopeRecordingSink SENDER_DOMAIN = EnvelopeRecordingSink.start();

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "bytes.example " + FLAKY.hostAndPort() + "\nrefusing.example " + REFUSING.hostAndPort() + "\n"
            + "client.example " + SENDER_DOMAIN.hostAndPort() + "\n")
        .editConf("mailetcontainer.xml", xml -> xml.replace("<minimalBackoff>5m</minimalBackoff>", "<minimalBackoff>1s</minimalBackoff>"))
        .build();

    static ScriptedSmtpServer scripted(java.util.function.Function<String, String> rcpt) {
        try {
            return ScriptedSmtpServer.answeringRcpt(rcpt);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        FLAKY.close();
        REFUSING.close();
        SENDER_DOMAIN.close();
    }

    static String message(String recipient) {
        return "From: sender@client.example\r\n"
            + "To: " + recipient + "\r\n"
            + "Subject: caf\u00e9 \u00fcber r\u00e9sum\u00e9 \u2014 8-bit, not encoded\r\n"
            + "X-Folded: first\r\n \t  second\r\n\tthird  \r\n"
            + "X-Empty:\r\n"
            + "\r\n"
            + "body with 8-bit \u00fc\u00f6\u00e4 \u20ac\r\n"
            + ".a line starting with a dot\r\n"
            + "trailing spaces   \r\n";
    }

    static void send(GuiceJamesServer server, String recipient) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).startsWith("220");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example> BODY=8BITMIME")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<" + recipient + ">")).startsWith("250");
            assertThat(smtp.data(message(recipient))).startsWith("250");
        }
    }

    /** What follows the Received: header James puts first (with its folded lines). */
    static byte[] afterReceived(byte[] message) {
        String text = new String(message, StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith("Received: ");
        int end = 0;
        do {
            end = text.indexOf("\r\n", end) + 2;
        } while (text.charAt(end) == ' ' || text.charAt(end) == '\t');
        return Arrays.copyOfRange(message, end, message.length);
    }

    @Test
    void aMessageDeferredTwiceReachesItsNextHopWithTheBytesTheClientSent(GuiceJamesServer server) throws Exception {
        send(server, "user@bytes.example");

        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> FLAKY.messages().size() == 1);
        assertThat(FLAKY.commands().stream().filter(command -> command.startsWith("RCPT"))).as("two deferrals, then delivery").hasSize(3);
        assertThat(afterReceived(FLAKY.messages().get(0))).isEqualTo(message("user@bytes.example").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theArchivedCopyAndTheOriginalAttachedToTheReportAreTheBytesTheClientSent(GuiceJamesServer server) throws Exception {
        send(server, "unknown@refusing.example");
        byte[] sent = message("unknown@refusing.example").getBytes(StandardCharsets.UTF_8);

        EnvelopeRecordingSink.Received report = SENDER_DOMAIN.awaitReportAbout("unknown@refusing.example");
        assertThat(report.message).contains("Content-Type: message/rfc822");
        // the sink keeps each line as ISO-8859-1 characters, so the bytes compare as such
        assertThat(report.message).contains(new String(sent, StandardCharsets.ISO_8859_1));

        WebAdmin webAdmin = WebAdmin.of(server);
        String archive = "/mailRepositories/" + WebAdmin.encode("var/spool/archive") + "/mails";
        JsonNode keys = Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> webAdmin.get(archive), list -> list.size() >= 1);
        List<String> archived = List.of(keys.get(0).asText());
        byte[] copy = webAdmin.getBytes(archive + "/" + WebAdmin.encode(archived.get(0)), "message/rfc822");
        assertThat(afterReceived(copy)).isEqualTo(sent);
    }
}
