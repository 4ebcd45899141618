package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.apache.james.utils.DataProbeImpl;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.SmtpSink;

/**
 * The spp plugins and the qpsmtpd relay checks of the bundled chain (the spp handler comes first):
 * RELAYCLIENT from a real relayclients file, SMTPRCPTHOSTSOK from rcpthosts, and a plugin's C at
 * RCPT after the relay decision, as in qmail. Only 127.0.0.1 and 127.0.3.0/24 are in
 * authorizedAddresses; other clients connect from other loopback addresses.
 */
class SppRelayControlIT {
    static final SmtpSink NEXT_HOP = SmtpSink.start();
    static final SppPlugins PLUGINS = SppPlugins.create();

    @RegisterExtension
    static JamesServerExtension james = PLUGINS.configure(PolicyRouterJames.builder()
            .withFile("qpsmtpd/plugins", "relay\nrcpt_ok\n")
            .withFile("qpsmtpd/relayclients", "# relay clients\n127.0.0.5\n127.0.1.0/24\n")
            .withFile("qpsmtpd/norelayclients", "127.0.3.3\n")
            .withFile("qpsmtpd/rcpthosts", "backup.example\n")
            .withFile("qpsmtpd/morercpthosts", "more.example\n")
            .withFile("policy/transport", "foreign.example " + NEXT_HOP.hostAndPort() + "\nbackup.example " + NEXT_HOP.hostAndPort() + "\n")
            .editConf("smtpserver.xml", xml -> xml.replace("<authorizedAddresses>127.0.0.0/8</authorizedAddresses>",
                "<authorizedAddresses>127.0.0.1/32, 127.0.3.0/24</authorizedAddresses>")),
        xml -> xml)
        .build();

    @AfterAll
    static void stopSink() {
        NEXT_HOP.close();
    }

    @BeforeEach
    void reset(GuiceJamesServer server) throws Exception {
        NEXT_HOP.reset();
        PLUGINS.smtpplugins("[connection]");
        DataProbeImpl data = server.getProbe(DataProbeImpl.class);
        if (!java.util.Arrays.asList(data.listUsers()).contains("alice@localhost")) {
            data.addUser("alice@localhost", "secret");
        }
    }

    private static SmtpConversation client(GuiceJamesServer server, String address) throws Exception {
        SmtpConversation smtp = SmtpConversation.openFrom(address, PolicyRouterJames.smtpPort(server), Duration.ofSeconds(30));
        assertThat(smtp.readReply()).isEqualTo("220 james-policy-router ESMTP");
        return smtp;
    }

    /** What a [connection] plugin printing its environment (env) wrote for a client at this address. */
    private static List<String> connectionEnvironment(GuiceJamesServer server, String address) throws Exception {
        String file = "env-" + address;
        PLUGINS.write(file, "");
        try (SmtpConversation smtp = client(server, address)) {
            assertThat(smtp.command("QUIT")).startsWith("221 ");
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !PLUGINS.lines(file).isEmpty());
        return PLUGINS.lines(file);
    }

    private static void installEnvironmentPrinter() {
        PLUGINS.smtpplugins("[connection]", ":env > " + PLUGINS.home() + "/env-$TCPREMOTEIP");
    }

    @Test
    void connectionPluginsOfAClientInRelayclientsSeeRelayclientAsTcprulesWouldGiveIt(GuiceJamesServer server) throws Exception {
        installEnvironmentPrinter();

        assertThat(connectionEnvironment(server, "127.0.0.5")).contains("RELAYCLIENT=", "TCPREMOTEIP=127.0.0.5");
        assertThat(connectionEnvironment(server, "127.0.1.77")).contains("RELAYCLIENT=");
    }

    @Test
    void clientsOutsideRelayclientsAndInNorelayclientsGetNoRelayclient(GuiceJamesServer server) throws Exception {
        installEnvironmentPrinter();

        assertThat(connectionEnvironment(server, "127.0.0.6")).noneMatch(line -> line.startsWith("RELAYCLIENT="));
        // in authorizedAddresses, but norelayclients withdraws it, before the plugins run
        assertThat(connectionEnvironment(server, "127.0.3.3")).noneMatch(line -> line.startsWith("RELAYCLIENT="));
    }

    @Test
    void jamesAuthorizedAddressesStillGiveRelayclient(GuiceJamesServer server) throws Exception {
        installEnvironmentPrinter();

        assertThat(connectionEnvironment(server, "127.0.0.1")).contains("RELAYCLIENT=");
        assertThat(connectionEnvironment(server, "127.0.3.4")).contains("RELAYCLIENT=");
    }

    @Test
    void rcptPluginsOfARelayclientsClientSeeRelayclientAndItRelays(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", ":echo \"P250-relay=${RELAYCLIENT+set} hosts ok $SMTPRCPTHOSTSOK\"");

        try (SmtpConversation smtp = client(server, "127.0.0.5")) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<sender@client.example>");
            assertThat(smtp.command("RCPT TO:<user@foreign.example>"))
                .isEqualTo("250-relay=set hosts ok 1\n250 2.1.5 Recipient <user@foreign.example> OK");
        }
    }

    @Test
    void smtprcpthostsokIsOneForRcpthostsAndMorercpthostsDomainsAsInQmail(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", ":echo \"P250-hosts ok $SMTPRCPTHOSTSOK\"");

        try (SmtpConversation smtp = client(server, "127.0.0.9")) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<sender@client.example>");
            assertThat(smtp.command("RCPT TO:<user@backup.example>")).isEqualTo("250-hosts ok 1\n250 2.1.5 Recipient <user@backup.example> OK");
            assertThat(smtp.command("RCPT TO:<user@more.example>")).isEqualTo("250-hosts ok 1\n250 2.1.5 Recipient <user@more.example> OK");
            assertThat(smtp.command("RCPT TO:<alice@localhost>")).isEqualTo("250-hosts ok 1\n250 2.1.5 Recipient <alice@localhost> OK");
            assertThat(smtp.command("RCPT TO:<user@foreign.example>")).endsWith("550 5.7.1 Relaying denied").contains("hosts ok 0");
        }
    }

    @Test
    void aPluginChangingALocalRecipientToAForeignAliasIsAcceptedBecauseRcpthostsJudgesTheClientsAddress(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", ":test \"$SMTPRCPTTO\" = alice@localhost && echo Calice@foreign.example; true");

        try (SmtpConversation smtp = client(server, "127.0.0.9")) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<sender@client.example>");
            assertThat(smtp.command("RCPT TO:<alice@localhost>")).isEqualTo("250 2.1.5 Recipient <alice@foreign.example> OK");
            assertThat(smtp.data("Subject: forwarded by a plugin\r\n\r\nbody\r\n")).startsWith("250 ");
        }
        NEXT_HOP.awaitMessages(1);
        assertThat(NEXT_HOP.envelopeRecipients()).containsExactly("alice@foreign.example");
    }

    @Test
    void aPluginChangingABackupMxRecipientIsAcceptedAndAForeignOneStillRefused(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", ":test \"$SMTPRCPTTO\" = alice@localhost || echo Cother@foreign.example");

        try (SmtpConversation smtp = client(server, "127.0.0.9")) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<sender@client.example>");
            assertThat(smtp.command("RCPT TO:<user@backup.example>")).isEqualTo("250 2.1.5 Recipient <other@foreign.example> OK");
            // the client's own address decides, as qmail's rcpthosts: relaying is still denied
            assertThat(smtp.command("RCPT TO:<user@elsewhere.example>")).isEqualTo("550 5.7.1 Relaying denied");
            // a refused recipient's change is not carried over to the next one
            assertThat(smtp.command("RCPT TO:<alice@localhost>")).isEqualTo("250 2.1.5 Recipient <alice@localhost> OK");
        }
    }
}
