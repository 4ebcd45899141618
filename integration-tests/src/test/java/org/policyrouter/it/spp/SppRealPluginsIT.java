package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.apache.james.utils.DataProbeImpl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.SmtpSink;

/**
 * Plugins written the way real qmail-spp plugins are (C programs built here with gcc, shell
 * scripts), run unchanged. The client (127.0.0.1) may not relay here, so relay control and AUTH
 * matter; example.com is a local domain with the user alice.
 */
class SppRealPluginsIT {
    static final SmtpSink NEXT_HOP = SmtpSink.start();
    static final SppPlugins PLUGINS = SppPlugins.create();
    static final String TARPIT = PLUGINS.compile("tarpit");
    static final String AUTH_REQUIRED = PLUGINS.compile("authrequired");
    static final String MF_DNS_CHECK = PLUGINS.compile("mfdnscheck");
    static final String RATE_LIMIT = PLUGINS.install("ratelimit");
    static final String ONLY_PLAIN = PLUGINS.install("onlyplain");

    @RegisterExtension
    static JamesServerExtension james = PLUGINS.configure(PolicyRouterJames.builder()
            .withFile("policy/transport", "example.net " + NEXT_HOP.hostAndPort() + "\n")
            .editConf("smtpserver.xml", xml -> xml
                .replace("<authorizedAddresses>127.0.0.0/8</authorizedAddresses>", "<authorizedAddresses>192.0.2.0/24</authorizedAddresses>")
                .replace("<announce>never</announce>", "<announce>always</announce>")),
        xml -> xml
            .replace("<timeout>60s</timeout>", "<timeout>10s</timeout>")
            .replace("<variable name=\"PATH\">/usr/local/bin:/usr/bin:/bin</variable>",
                "<variable name=\"PATH\">/usr/local/bin:/usr/bin:/bin</variable>"
                    + "<variable name=\"TARPITCOUNT\">1</variable><variable name=\"TARPITDELAY\">2</variable>"
                    + "<variable name=\"RATEDIR\">" + PLUGINS.file("ratestate") + "</variable><variable name=\"RATELIMIT\">2</variable>"))
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
        if (!data.containsDomain("example.com")) {
            data.addDomain("example.com");
            data.addUser("alice@example.com", "secret");
        }
    }

    private static SmtpConversation connect(GuiceJamesServer server) throws Exception {
        SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server));
        assertThat(smtp.readReply()).isEqualTo("220 james-policy-router ESMTP");
        return smtp;
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aTarpitDelaysItsOwnClientOnlyWhileOtherSessionsAreServedAtOnce(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", TARPIT);

        try (SmtpConversation smtp = connect(server)) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<sender@example.org>");
            assertThat(smtp.command("RCPT TO:<alice@example.com>")).isEqualTo("250 2.1.5 Recipient <alice@example.com> OK");
            long start = System.nanoTime();
            CompletableFuture<String> tarpitted = CompletableFuture.supplyAsync(() -> command(smtp, "RCPT TO:<alice@example.com>"));

            List<Duration> others = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                long began = System.nanoTime();
                try (SmtpConversation other = connect(server)) {
                    assertThat(other.command("EHLO other.example")).startsWith("250");
                    assertThat(other.command("MAIL FROM:<other@example.org>")).startsWith("250 ");
                }
                others.add(Duration.ofNanos(System.nanoTime() - began));
            }

            assertThat(tarpitted.get()).isEqualTo("250 2.1.5 Recipient <alice@example.com> OK");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
            assertThat(others).as("sessions served while the tarpit sleeps").allSatisfy(d -> assertThat(d).isLessThan(Duration.ofSeconds(1)));
        }
    }

    private static String command(SmtpConversation smtp, String line) {
        try {
            return smtp.command(line);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void authRequiredRefusesRelayingUntilTheClientAuthenticates(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", AUTH_REQUIRED);

        try (SmtpConversation smtp = connect(server)) {
            assertThat(smtp.command("EHLO client.example")).contains("250-AUTH LOGIN PLAIN");
            smtp.command("MAIL FROM:<alice@example.com>");
            assertThat(smtp.command("RCPT TO:<friend@example.net>")).isEqualTo("530 5.7.0 Authentication required to send to <friend@example.net>");
            assertThat(smtp.command("RCPT TO:<alice@example.com>")).isEqualTo("250 2.1.5 Recipient <alice@example.com> OK");
            assertThat(smtp.command("RSET")).startsWith("250");
            assertThat(smtp.command("AUTH PLAIN " + base64("\0alice@example.com\0secret"))).startsWith("235 ");
            smtp.command("MAIL FROM:<alice@example.com>");
            assertThat(smtp.command("RCPT TO:<friend@example.net>")).isEqualTo("250 2.1.5 Recipient <friend@example.net> OK");
            assertThat(smtp.data("Subject: after auth\r\n\r\nhello\r\n")).startsWith("250 ");
        }
        assertThat(NEXT_HOP.awaitMessages(1)).hasSize(1);
    }

    @Test
    void anAuthPluginRefusingTheMechanismUndoesTheLogin(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[auth]", ONLY_PLAIN);

        try (SmtpConversation smtp = connect(server)) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("AUTH LOGIN")).isEqualTo("334 VXNlcm5hbWU6");
            assertThat(smtp.command(base64("alice@example.com"))).isEqualTo("334 UGFzc3dvcmQ6");
            assertThat(smtp.command(base64("secret"))).isEqualTo("535 5.7.8 use AUTH PLAIN, alice@example.com");
            smtp.command("MAIL FROM:<alice@example.com>");
            assertThat(smtp.command("RCPT TO:<friend@example.net>")).as("not authenticated: no relaying").startsWith("530 ");
            assertThat(smtp.command("RSET")).startsWith("250");
            assertThat(smtp.command("AUTH PLAIN " + base64("\0alice@example.com\0secret"))).startsWith("235 ");
            smtp.command("MAIL FROM:<alice@example.com>");
            assertThat(smtp.command("RCPT TO:<friend@example.net>")).startsWith("250 ");
        }
    }

    @Test
    void aMailFromDnsCheckRefusesSendersWhoseDomainDoesNotResolve(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[mail]", MF_DNS_CHECK);

        try (SmtpConversation smtp = connect(server)) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<someone@nosuch.invalid>")).isEqualTo("553 5.1.8 sender domain nosuch.invalid does not exist");
            assertThat(smtp.command("MAIL FROM:<someone@localhost>")).isEqualTo("250 2.1.0 Sender <someone@localhost> OK");
            assertThat(smtp.command("RSET")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<>")).isEqualTo("250 2.1.0 Sender <> OK");
        }
    }

    @Test
    void aRateLimiterKeepsItsCountInAFileAcrossSessions(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[mail]", RATE_LIMIT);

        try (SmtpConversation smtp = connect(server)) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<alice@example.com>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<alice@example.com>")).startsWith("250 ");
            assertThat(smtp.data("Subject: one\r\n\r\nbody\r\n")).startsWith("250 ");
        }
        try (SmtpConversation smtp = connect(server)) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<alice@example.com>")).startsWith("250 ");
            assertThat(smtp.command("RSET")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<alice@example.com>")).isEqualTo("451 4.7.1 too many messages from 127.0.0.1, slow down");
        }
        assertThat(PLUGINS.read("ratestate/127.0.0.1")).endsWith(" 2\n");
    }

    @Test
    void okFromARcptPluginBypassesRelayControlAsInQmail(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", ":test \"$SMTPRCPTTO\" = partner@example.net && echo O; true");

        try (SmtpConversation smtp = connect(server)) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<sender@example.org>");
            assertThat(smtp.command("RCPT TO:<stranger@example.net>")).startsWith("530 ");
            assertThat(smtp.command("RCPT TO:<partner@example.net>")).isEqualTo("250 2.1.5 Recipient <partner@example.net> OK");
        }
    }
}
