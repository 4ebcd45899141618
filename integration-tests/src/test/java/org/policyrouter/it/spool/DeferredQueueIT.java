package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
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
 * Deferral through the shipped configuration is a delayed enqueue into the durable spool queue: a
 * next hop that is down makes the mail wait in the spool queue, delayed until its next attempt,
 * and a flush delivers it once the next hop is back. James's own WebAdmin queue routes show and
 * flush it; the spool's ({@code /spool/queues}) add attempts and last error, flush and delete by
 * queue ID or domain, hold and release.
 */
class DeferredQueueIT {
    static final NextHop DOWN_THEN_UP = NextHopOrFail.down();
    static final NextHop ALWAYS_DOWN = NextHopOrFail.down();

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "recovering.example " + DOWN_THEN_UP.hostAndPort() + "\n"
            + "broken.example " + ALWAYS_DOWN.hostAndPort() + "\n"
            // one rule for two domains: one mail for both recipients
            + "/@(left|right)\\.example$/ " + ALWAYS_DOWN.hostAndPort() + "\n")
        .build();

    @AfterAll
    static void stopNextHops() {
        DOWN_THEN_UP.close();
        ALWAYS_DOWN.close();
    }

    static void send(GuiceJamesServer server, String recipient, String subject) throws Exception {
        send(server, List.of(recipient), subject);
    }

    /** Returns the message's queue ID, from the reply. */
    static String send(GuiceJamesServer server, List<String> recipients, String subject) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            for (String recipient : recipients) {
                assertThat(smtp.command("RCPT TO:<" + recipient + ">")).startsWith("250");
            }
            String reply = smtp.data("From: sender@client.example\r\nSubject: " + subject + "\r\n\r\nbody\r\n");
            assertThat(reply).startsWith("250");
            smtp.command("QUIT");
            return QueueIdIT.queueId(reply);
        }
    }

    /** The spool's view of one message's mails ({@code GET /spool/queues/spool/messages/{queueId}}). */
    static JsonNode awaitSpoolEntry(WebAdmin webAdmin, String queueId, String state) {
        return Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> webAdmin.status("GET", "/spool/queues/spool/messages/" + queueId) == 200
            ? webAdmin.get("/spool/queues/spool/messages/" + queueId) : null,
            mails -> mails != null && mails.size() == 1 && mails.get(0).get("state").asText().equals(state)).get(0);
    }

    /** The delayed mails of the spool queue for {@code recipient} (James's {@code GET /mailQueues/spool/mails?delayed=true}). */
    static List<JsonNode> deferred(WebAdmin webAdmin, String recipient) throws Exception {
        List<JsonNode> found = new java.util.ArrayList<>();
        for (JsonNode mail : webAdmin.delayedMails("spool")) {
            if (mail.get("recipients").toString().contains(recipient)) {
                found.add(mail);
            }
        }
        return found;
    }

    static JsonNode awaitDeferred(WebAdmin webAdmin, String recipient) {
        return Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> deferred(webAdmin, recipient), mails -> mails.size() == 1).get(0);
    }

    static Instant nextDelivery(JsonNode mail) {
        return ZonedDateTime.parse(mail.get("nextDelivery").asText()).toInstant();
    }

    @Test
    void aMailForADownNextHopWaitsDelayedInTheSpoolQueueAndAFlushDeliversItOnceTheHopIsBack(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);
        Instant sent = Instant.now();

        send(server, "user@recovering.example", "waits for its next hop");

        JsonNode deferred = awaitDeferred(webAdmin, "user@recovering.example");
        assertThat(deferred.get("name").asText()).isNotBlank();
        assertThat(deferred.get("sender").asText()).isEqualTo("sender@client.example");
        assertThat(deferred.get("recipients")).hasSize(1);
        // first retry after the minimal backoff: 5 minutes, ±10%
        assertThat(nextDelivery(deferred)).isBetween(sent.plus(Duration.ofSeconds(265)), Instant.now().plus(Duration.ofSeconds(335)));
        // what James's view lacks: attempts and the last error
        JsonNode entry = webAdmin.get("/spool/queues/spool/messages?domain=recovering.example").get(0);
        assertThat(entry.get("state").asText()).isEqualTo("deferred");
        assertThat(entry.get("attempts").asInt()).isEqualTo(1);
        assertThat(entry.get("lastError").asText()).contains("Connection refused");
        assertThat(entry.get("name").asText()).isEqualTo(deferred.get("name").asText());

        DOWN_THEN_UP.up();
        // postqueue -s recovering.example: only this domain
        assertThat(webAdmin.patch("/spool/queues/spool/messages?action=flush&domain=recovering.example").get("flushed").asInt()).isEqualTo(1);

        List<MimeMessage> delivered = DOWN_THEN_UP.awaitMessages(1, Duration.ofSeconds(30));
        assertThat(delivered.get(0).getSubject()).isEqualTo("waits for its next hop");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> deferred(webAdmin, "user@recovering.example").isEmpty());
    }

    @Test
    void aFlushRetriesADeferredMailWhichWaitsAgainUnderItsOwnNameWithANewNextAttempt(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);
        send(server, "one@broken.example", "flushed alone");
        JsonNode first = awaitDeferred(webAdmin, "one@broken.example");
        Instant flushed = Instant.now();

        // James's flush: every delayed mail of the queue
        webAdmin.flushDelayed("spool");

        // the retry failed again: the same mail (no copy) waits again, with a next attempt counted from the flush
        JsonNode second = Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> deferred(webAdmin, "one@broken.example"),
                mails -> mails.size() == 1 && !nextDelivery(mails.get(0)).equals(nextDelivery(first)))
            .get(0);
        assertThat(second.get("name").asText()).isEqualTo(first.get("name").asText());
        assertThat(nextDelivery(second)).isAfter(flushed.plus(Duration.ofSeconds(265)));
        JsonNode entry = webAdmin.get("/spool/queues/spool/messages?domain=broken.example").get(0);
        assertThat(entry.get("attempts").asInt()).isEqualTo(2);
        assertThat(entry.get("name").asText()).isEqualTo(first.get("name").asText());
        assertThat(first.get("name").asText()).startsWith(entry.get("queueId").asText());
    }

    @Test
    void aHeldMailIsNotTriedEvenByAFlushUntilItIsReleased(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);
        String id = send(server, List.of("held@broken.example"), "held");
        awaitSpoolEntry(webAdmin, id, "deferred");

        assertThat(webAdmin.patch("/spool/queues/spool/messages/" + id + "?action=hold").get("held").asInt()).isEqualTo(1);
        webAdmin.flushDelayed("spool");
        webAdmin.patch("/spool/queues/spool/messages?action=flush");

        JsonNode held = awaitSpoolEntry(webAdmin, id, "held");
        assertThat(held.get("attempts").asInt()).as("never tried while held").isEqualTo(1);
        assertThat(held.get("nextAttempt").isNull()).isTrue();

        assertThat(webAdmin.patch("/spool/queues/spool/messages/" + id + "?action=release").get("released").asInt()).isEqualTo(1);
        assertThat(awaitSpoolEntry(webAdmin, id, "deferred").get("attempts").asInt()).isEqualTo(1);
        webAdmin.delete("/spool/queues/spool/messages/" + id);
    }

    @Test
    void deletingADomainRemovesOnlyItsRecipientsAndTheMailKeepsTheOthers(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);
        String id = send(server, List.of("a@left.example", "b@right.example"), "two domains, one mail");
        JsonNode before = awaitSpoolEntry(webAdmin, id, "deferred");
        assertThat(before.get("recipients")).hasSize(2);

        assertThat(webAdmin.delete("/spool/queues/spool/messages?domain=left.example").get("deleted").asInt()).isEqualTo(1);

        JsonNode after = awaitSpoolEntry(webAdmin, id, "deferred");
        assertThat(after.get("recipients").toString()).contains("b@right.example").doesNotContain("left.example");
        assertThat(after.get("attempts")).isEqualTo(before.get("attempts"));
        assertThat(after.get("nextAttempt")).isEqualTo(before.get("nextAttempt"));
        webAdmin.delete("/spool/queues/spool/messages/" + id);
        assertThat(webAdmin.status("GET", "/spool/queues/spool/messages/" + id)).isEqualTo(404);
    }

    @Test
    void jamesDeleteByRecipientRemovesTheDeferredMail(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);
        String id = send(server, List.of("gone@broken.example"), "removed through James's route");
        awaitSpoolEntry(webAdmin, id, "deferred");

        assertThat(webAdmin.status("DELETE", "/mailQueues/spool/mails?recipient=gone@broken.example")).isEqualTo(201);

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> webAdmin.status("GET", "/spool/queues/spool/messages/" + id) == 404);
        assertThat(deferred(webAdmin, "gone@broken.example")).isEmpty();
    }

    @Test
    void jamesQueueRoutesSeeTheDurableQueue(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);

        assertThat(webAdmin.get("/mailQueues").toString()).contains("\"spool\"");
        JsonNode spool = webAdmin.get("/mailQueues/spool");
        assertThat(spool.get("name").asText()).isEqualTo("spool");
        assertThat(spool.get("size").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(webAdmin.delayedMails("spool").isArray()).isTrue();
    }

    @Test
    void unknownQueuesAndFlushesWithoutTheirBodyAreRefused(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);

        assertThat(webAdmin.status("GET", "/mailQueues/no-such-queue/mails?delayed=true")).isEqualTo(404);
        assertThat(webAdmin.status("PATCH", "/mailQueues/spool/mails?delayed=true")).isEqualTo(400);
        assertThat(webAdmin.status("PATCH", "/mailQueues/spool/mails")).isEqualTo(400);
        assertThat(webAdmin.status("GET", "/spool/queues/no-such-queue/messages")).isEqualTo(404);
        assertThat(webAdmin.status("GET", "/spool/queues/spool/messages/1A0000000000000000000")).isEqualTo(404);
        assertThat(webAdmin.status("PATCH", "/spool/queues/spool/messages?action=explode")).isEqualTo(400);
        assertThat(webAdmin.status("GET", "/spool/queues/spool/messages?state=lost")).isEqualTo(400);
        assertThat(webAdmin.status("DELETE", "/spool/queues/spool/messages")).as("a delete needs a domain or a queue ID").isEqualTo(400);
    }
}
