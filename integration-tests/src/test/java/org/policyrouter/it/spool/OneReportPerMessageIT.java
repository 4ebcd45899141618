package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;

/**
 * Issue 19, item 7, through the bundled server: one message whose recipients go to three next
 * hops, which all answer 550. RoutePolicy splits it into three mails, each failing on its own;
 * before, the sender got three reports. Now one report lists the three recipients, each with the
 * reply of its own next hop.
 */
class OneReportPerMessageIT {
    static final EnvelopeRecordingSink SENDER_DOMAIN = EnvelopeRecordingSink.start();
    static final EnvelopeRecordingSink HOP_A = EnvelopeRecordingSink.start();
    static final EnvelopeRecordingSink HOP_B = EnvelopeRecordingSink.start();
    static final EnvelopeRecordingSink HOP_C = EnvelopeRecordingSink.start();

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "client.example " + SENDER_DOMAIN.hostAndPort() + "\n"
            + "a.example " + HOP_A.hostAndPort() + "\n"
            + "b.example " + HOP_B.hostAndPort() + "\n"
            + "c.example " + HOP_C.hostAndPort() + "\n")
        .build();

    @AfterAll
    static void stop() throws Exception {
        for (EnvelopeRecordingSink sink : List.of(SENDER_DOMAIN, HOP_A, HOP_B, HOP_C)) {
            sink.close();
        }
    }

    @Test
    void recipientsRefusedByThreeNextHopsGetOneReportListingEachWithItsOwnReply(GuiceJamesServer server) throws Exception {
        DeferredQueueIT.send(server, List.of("unknown@a.example", "unknown@b.example", "unknown@c.example", "known@a.example"),
            "refused three times");

        EnvelopeRecordingSink.Received report = SENDER_DOMAIN.awaitReportAbout("refused three times");
        // longer than the window in which the parts of a message are gathered, and then some
        Thread.sleep(15_000);
        List<EnvelopeRecordingSink.Received> reports = SENDER_DOMAIN.received().stream()
            .filter(received -> received.message.contains("refused three times")).collect(Collectors.toList());
        assertThat(reports).as("reports to the sender").hasSize(1);

        assertThat(report.sender).isEmpty();
        assertThat(report.recipients).containsExactly("sender@client.example");
        String message = report.message.replace("\r\n", "\n");
        for (EnvelopeRecordingSink hop : List.of(HOP_A, HOP_B, HOP_C)) {
            String recipient = "unknown@" + (hop == HOP_A ? "a" : hop == HOP_B ? "b" : "c") + ".example";
            assertThat(message).contains("Final-Recipient: rfc822; " + recipient + "\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; 127.0.0.1\n"
                + "Diagnostic-Code: smtp; 550 5.1.1 <" + recipient + ">: no such user here\n");
            assertThat(message).contains(recipient + ": " + hop.hostAndPort() + " said: 550 5.1.1 <" + recipient + ">: no such user here\n");
        }
        assertThat(message).doesNotContain("Final-Recipient: rfc822; known@a.example");
        assertThat(HOP_A.received()).singleElement().satisfies(delivered -> assertThat(delivered.recipients).containsExactly("known@a.example"));
    }
}
