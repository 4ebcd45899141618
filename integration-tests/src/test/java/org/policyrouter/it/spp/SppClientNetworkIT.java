package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;

/** NOSPP given to a client network in the handler's configuration, as a tcprules line would give it. */
class SppClientNetworkIT {
    static final SppPlugins PLUGINS = SppPlugins.create();

    @RegisterExtension
    static JamesServerExtension james = PLUGINS.configure(PolicyRouterJames.builder(),
        xml -> xml.replace("<!--\n                <client network=\"192.0.2.0/24\">",
            "<client network=\"127.0.0.0/8\"><variable name=\"NOSPP\"/></client>\n"
                + "                <!--\n                <client network=\"192.0.2.0/24\">"))
        .build();

    @Test
    void noPluginRunsForAClientNetworkWithNospp(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[connection]", ":echo E554 5.7.1 never", "[mail]", ":echo E550 never");

        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).isEqualTo("220 james-policy-router ESMTP");
            assertThat(smtp.command("HELO client.example")).startsWith("250 ");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("250 2.1.0 Sender <sender@example.org> OK");
        }
    }
}
