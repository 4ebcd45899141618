package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;

/**
 * SppRelayControlIT's RELAYCLIENT cases with the handler order reversed: the spp handler listed
 * after the qpsmtpd checks, as an operator may do. The relay decision is the same either way.
 */
class SppAfterQpsmtpdChecksIT {
    static final SppPlugins PLUGINS = SppPlugins.create();
    private static final String VALID_RCPT = "<handler class=\"org.policyrouter.hooks.recipients.ValidRcptOrPostmaster\"/>";

    @RegisterExtension
    static JamesServerExtension james = PLUGINS.configure(PolicyRouterJames.builder()
            .withFile("qpsmtpd/plugins", "relay\nrcpt_ok\n")
            .withFile("qpsmtpd/relayclients", "127.0.0.5\n")
            .withFile("qpsmtpd/norelayclients", "127.0.3.3\n")
            .editConf("smtpserver.xml", xml -> xml.replace("<authorizedAddresses>127.0.0.0/8</authorizedAddresses>",
                "<authorizedAddresses>127.0.0.1/32, 127.0.3.0/24</authorizedAddresses>")),
        SppAfterQpsmtpdChecksIT::sppHandlerLast)
        .build();

    private static String sppHandlerLast(String xml) {
        int start = xml.indexOf("<handler class=\"org.policyrouter.hooks.spp.SmtpPluginsHandler\">");
        int end = xml.indexOf("</handler>", start) + "</handler>".length();
        String spp = xml.substring(start, end);
        return (xml.substring(0, start) + xml.substring(end)).replace(VALID_RCPT, spp + "\n" + VALID_RCPT);
    }

    private static List<String> connectionEnvironment(GuiceJamesServer server, String address) throws Exception {
        String file = "env-" + address;
        PLUGINS.write(file, "");
        try (SmtpConversation smtp = SmtpConversation.openFrom(address, PolicyRouterJames.smtpPort(server), Duration.ofSeconds(30))) {
            assertThat(smtp.readReply()).isEqualTo("220 james-policy-router ESMTP");
            assertThat(smtp.command("QUIT")).startsWith("221 ");
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !PLUGINS.lines(file).isEmpty());
        return PLUGINS.lines(file);
    }

    @Test
    void connectionPluginsSeeTheRelayChecksDecisionWhenListedAfterThem(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[connection]", ":env > " + PLUGINS.home() + "/env-$TCPREMOTEIP");

        assertThat(connectionEnvironment(server, "127.0.0.5")).contains("RELAYCLIENT=");
        assertThat(connectionEnvironment(server, "127.0.0.6")).noneMatch(line -> line.startsWith("RELAYCLIENT="));
        assertThat(connectionEnvironment(server, "127.0.3.3")).noneMatch(line -> line.startsWith("RELAYCLIENT="));
        assertThat(connectionEnvironment(server, "127.0.0.1")).contains("RELAYCLIENT=");
    }
}
