package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;

/** The same expiry with archiving turned off (the Archive mailet removed): the mail is gone after its report. */
class ExpiredMailWithoutArchiveIT {
    static final EnvelopeRecordingSink SENDER_DOMAIN = EnvelopeRecordingSink.start();
    static final NextHop NEVER_UP = NextHopOrFail.down();

    @RegisterExtension
    static JamesServerExtension james = ExpiredMailIT.shortLifetime(PolicyRouterJames.builder()
        .withFile("policy/transport", "gone.example " + NEVER_UP.hostAndPort() + "\nclient.example " + SENDER_DOMAIN.hostAndPort() + "\n")
        .editConf("mailetcontainer.xml", xml -> xml.replace("<mailet match=\"All\" class=\"org.policyrouter.mailets.Archive\">\n"
            + "                <repositoryPath>spool://var/spool/archive</repositoryPath>\n"
            + "            </mailet>\n", "")))
        .build();

    @AfterAll
    static void stop() throws Exception {
        SENDER_DOMAIN.close();
        NEVER_UP.close();
    }

    @Test
    void anExpiredMailIsReportedThenDropped(GuiceJamesServer server) throws Exception {
        DeferredQueueIT.send(server, "user@gone.example", "never arrives");

        EnvelopeRecordingSink.Received report = SENDER_DOMAIN.awaitReceived(1).get(0);
        assertThat(report.sender).isEmpty();
        assertThat(report.message).contains("Action: failed");
        WebAdmin webAdmin = new WebAdmin(PolicyRouterJames.webAdminPort(server));
        assertThat(webAdmin.get("/spool/deferred/mails")).isEmpty();
        assertThat(webAdmin.status("GET", "/mailRepositories/" + WebAdmin.encode("var/spool/archive") + "/mails")).isEqualTo(404);
    }
}
