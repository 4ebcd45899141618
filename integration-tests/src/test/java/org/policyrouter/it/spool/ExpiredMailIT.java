package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The queue lifetime, shortened to seconds: a mail whose next hop never answers is retried until
 * its lifetime ends, then the sender gets one non-delivery report from {@code <>} with the last
 * error, and the mail is kept in the archive queue.
 */
class ExpiredMailIT {
    static final EnvelopeRecordingSink SENDER_DOMAIN = EnvelopeRecordingSink.start();
    static final NextHop NEVER_UP = NextHopOrFail.down();

    @RegisterExtension
    static JamesServerExtension james = shortLifetime(PolicyRouterJames.builder()
        .withFile("policy/transport", "gone.example " + NEVER_UP.hostAndPort() + "\nclient.example " + SENDER_DOMAIN.hostAndPort() + "\n"
            + "rejecting.example " + SENDER_DOMAIN.hostAndPort() + "\n"))
        .build();

    /** Lifetime 3 s, retries every second: the mail expires after about three attempts. */
    static PolicyRouterJames.Builder shortLifetime(PolicyRouterJames.Builder builder) {
        return builder.editConf("mailetcontainer.xml", xml -> xml
            .replace("<queueLifetime>5d</queueLifetime>", "<queueLifetime>3s</queueLifetime>")
            .replace("<minimalBackoff>5m</minimalBackoff>", "<minimalBackoff>1s</minimalBackoff>"));
    }

    @AfterAll
    static void stop() throws Exception {
        SENDER_DOMAIN.close();
        NEVER_UP.close();
    }

    @Test
    void aRecipientRefusedWith550IsReportedAtOnceAndArchived(GuiceJamesServer server) throws Exception {
        DeferredQueueIT.send(server, "unknown@rejecting.example", "refused by the next hop");

        EnvelopeRecordingSink.Received report = SENDER_DOMAIN.awaitReportAbout("unknown@rejecting.example");
        assertThat(report.sender).isEmpty();
        assertThat(report.message).contains("Action: failed", "550 5.1.1 <unknown@rejecting.example>: no such user here");
        WebAdmin webAdmin = WebAdmin.of(server);
        JsonNode archived = Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> archived(webAdmin, "unknown@rejecting.example"), Optional::isPresent).get();
        // the permanently failed recipients' copy of the first attempt: <name>.b1
        assertThat(archived.get("name").asText()).endsWith(".b1");
        assertThat(webAdmin.delayedMails("spool").toString()).doesNotContain("rejecting.example");
    }

    /** The archived mail for {@code recipient}, as James's repository routes describe it (with attributes). */
    static Optional<JsonNode> archived(WebAdmin webAdmin, String recipient) throws Exception {
        if (webAdmin.status("GET", "/mailRepositories/" + WebAdmin.encode("var/spool/archive") + "/mails") != 200) {
            return Optional.empty();
        }
        for (JsonNode key : webAdmin.get("/mailRepositories/" + WebAdmin.encode("var/spool/archive") + "/mails")) {
            JsonNode mail = webAdmin.repositoryMail("var/spool/archive", key.asText());
            if (mail.get("recipients").toString().contains(recipient)) {
                return Optional.of(mail);
            }
        }
        return Optional.empty();
    }

    @Test
    void anUndeliverableMailEndsInOneNonDeliveryReportFromTheNullSenderAndInTheArchive(GuiceJamesServer server) throws Exception {
        DeferredQueueIT.send(server, "user@gone.example", "never arrives");

        EnvelopeRecordingSink.Received report = SENDER_DOMAIN.awaitReportAbout("user@gone.example");
        assertThat(report.sender).as("the envelope sender of a non-delivery report").isEmpty();
        assertThat(report.recipients).containsExactly("sender@client.example");
        assertThat(report.message).contains("multipart/report", "report-type=delivery-status",
            "Final-Recipient: rfc822; user@gone.example", "Action: failed", "Connection refused", "Subject: never arrives");

        WebAdmin webAdmin = WebAdmin.of(server);
        JsonNode archived = Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> archived(webAdmin, "user@gone.example"), Optional::isPresent).get();
        // retried (delayed enqueues into the spool queue) until its lifetime ended, under the name it arrived with
        assertThat(archived.get("attributes").get("org.policyrouter.spool.retries").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(webAdmin.delayedMails("spool").toString()).doesNotContain("gone.example");
        // one report only, also after the times it would have been retried next
        Thread.sleep(3000);
        assertThat(SENDER_DOMAIN.received().stream().filter(r -> r.message.contains("user@gone.example"))).hasSize(1);
    }
}
