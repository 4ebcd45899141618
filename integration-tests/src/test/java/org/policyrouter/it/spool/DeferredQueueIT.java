package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import javax.mail.internet.MimeMessage;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The deferred queue through the shipped configuration: a next hop that is down makes the mail
 * wait in spool://var/spool/deferred with its next attempt and error (shown by WebAdmin), and a
 * flush delivers it once the next hop is back.
 */
class DeferredQueueIT {
    static final NextHop DOWN_THEN_UP = NextHopOrFail.down();
    static final NextHop ALWAYS_DOWN = NextHopOrFail.down();

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "recovering.example " + DOWN_THEN_UP.hostAndPort() + "\n"
            + "broken.example " + ALWAYS_DOWN.hostAndPort() + "\n")
        .build();

    @AfterAll
    static void stopNextHops() {
        DOWN_THEN_UP.close();
        ALWAYS_DOWN.close();
    }

    static void send(GuiceJamesServer server, String recipient, String subject) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<" + recipient + ">")).startsWith("250");
            assertThat(smtp.data("From: sender@client.example\r\nTo: " + recipient + "\r\nSubject: " + subject + "\r\n\r\nbody\r\n")).startsWith("250");
            smtp.command("QUIT");
        }
    }

    static JsonNode awaitDeferred(WebAdmin webAdmin, String recipient) {
        return Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (JsonNode mail : webAdmin.get("/spool/deferred/mails")) {
                if (mail.get("recipients").toString().contains(recipient)) {
                    return mail;
                }
            }
            return null;
        }, mail -> mail != null);
    }

    @Test
    void aMailForADownNextHopWaitsInDeferredAndAFlushDeliversItOnceTheHopIsBack(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = new WebAdmin(PolicyRouterJames.webAdminPort(server));
        Instant sent = Instant.now();

        send(server, "user@recovering.example", "waits for its next hop");

        JsonNode deferred = awaitDeferred(webAdmin, "user@recovering.example");
        assertThat(deferred.get("attempts").asInt()).isEqualTo(1);
        assertThat(deferred.get("repository").asText()).isEqualTo("spool://var/spool/deferred");
        assertThat(deferred.get("sender").asText()).isEqualTo("sender@client.example");
        assertThat(deferred.get("lastError").asText()).isNotBlank();
        // first retry after the minimal backoff: 5 minutes, ±10%
        assertThat(Instant.parse(deferred.get("nextAttempt").asText()))
            .isBetween(sent.plus(Duration.ofSeconds(265)), Instant.now().plus(Duration.ofSeconds(335)));
        // James's own repository routes see the same queue
        JsonNode keys = webAdmin.get("/mailRepositories/" + WebAdmin.encode("var/spool/deferred") + "/mails");
        assertThat(keys.toString()).contains(deferred.get("key").asText());

        DOWN_THEN_UP.up();
        JsonNode flushed = webAdmin.patch("/spool/deferred/mails?action=flush&domain=recovering.example");

        assertThat(flushed.get("flushed").asInt()).isEqualTo(1);
        List<MimeMessage> delivered = DOWN_THEN_UP.awaitMessages(1, Duration.ofSeconds(30));
        assertThat(delivered.get(0).getSubject()).isEqualTo("waits for its next hop");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !webAdmin.get("/spool/deferred/mails").toString().contains("recovering.example"));
    }

    @Test
    void aFlushOfOneMailRetriesItAndCountsTheAttempt(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = new WebAdmin(PolicyRouterJames.webAdminPort(server));
        send(server, "one@broken.example", "flushed alone");
        JsonNode first = awaitDeferred(webAdmin, "one@broken.example");

        webAdmin.patch("/spool/deferred/mails/" + WebAdmin.encode(first.get("key").asText()) + "?action=flush");

        JsonNode second = Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> awaitDeferred(webAdmin, "one@broken.example"),
            mail -> mail.get("attempts").asInt() == 2);
        assertThat(second.get("queueId").asText()).isEqualTo(first.get("queueId").asText());
    }

    @Test
    void jamesQueueRoutesSeeTheDurableQueue(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = new WebAdmin(PolicyRouterJames.webAdminPort(server));

        assertThat(webAdmin.get("/mailQueues").toString()).contains("\"spool\"");
        JsonNode spool = webAdmin.get("/mailQueues/spool");
        assertThat(spool.get("name").asText()).isEqualTo("spool");
        assertThat(spool.get("size").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(webAdmin.get("/mailQueues/spool/mails?delayed=true")).isEmpty();
    }

    @Test
    void unknownKeysAndActionsAreRefused(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = new WebAdmin(PolicyRouterJames.webAdminPort(server));

        assertThat(webAdmin.status("GET", "/spool/deferred/mails/no-such-mail")).isEqualTo(404);
        assertThat(webAdmin.status("PATCH", "/spool/deferred/mails?action=delete")).isEqualTo(400);
    }
}
