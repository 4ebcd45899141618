package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;

/**
 * The same expiry with archiving turned off (the Archive mailet removed) and the delay warning
 * turned on: the sender first learns that the mail is delayed, then that it failed, and the mail
 * is gone.
 */
class ExpiredMailWithoutArchiveIT {
    static final EnvelopeRecordingSink SENDER_DOMAIN = EnvelopeRecordingSink.start();
    static final NextHop NEVER_UP = NextHopOrFail.down();

    @RegisterExtension
    static JamesServerExtension james = ExpiredMailIT.shortLifetime(PolicyRouterJames.builder()
        .withFile("policy/transport", "gone.example " + NEVER_UP.hostAndPort() + "\nclient.example " + SENDER_DOMAIN.hostAndPort() + "\n")
        .editConf("mailetcontainer.xml", xml -> xml.replace("<mailet match=\"All\" class=\"org.policyrouter.mailets.Archive\">\n"
            + "                <repositoryPath>spool://var/spool/archive</repositoryPath>\n"
            + "                <maxSize>1G</maxSize>\n"
            + "            </mailet>\n", "")
            .replace("<!-- a \"delayed\" DSN to the sender once a mail has waited this long (off when absent):\n"
                + "                <delayWarningAfter>4h</delayWarningAfter> -->", "<delayWarningAfter>1s</delayWarningAfter>")))
        .build();

    @AfterAll
    static void stop() throws Exception {
        SENDER_DOMAIN.close();
        NEVER_UP.close();
    }

    @Test
    void theSenderIsWarnedOfTheDelayThenReportedTheFailureAndTheMailIsDropped(GuiceJamesServer server) throws Exception {
        DeferredQueueIT.send(server, "user@gone.example", "never arrives");

        List<EnvelopeRecordingSink.Received> reports = SENDER_DOMAIN.awaitReceived(2);
        assertThat(reports).extracting(report -> report.sender).containsExactly("", "");
        assertThat(reports.get(0).message).contains("Action: delayed", "Final-Recipient: rfc822; user@gone.example");
        assertThat(reports.get(1).message).contains("Action: failed", "Final-Recipient: rfc822; user@gone.example");
        WebAdmin webAdmin = WebAdmin.of(server);
        assertThat(webAdmin.delayedMails("spool").toString()).doesNotContain("gone.example");
        assertThat(webAdmin.status("GET", "/mailRepositories/" + WebAdmin.encode("var/spool/archive") + "/mails")).isEqualTo(404);
    }
}
