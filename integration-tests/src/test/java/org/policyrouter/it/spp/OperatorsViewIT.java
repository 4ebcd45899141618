package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.spool.WebAdmin;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * What an operator of the bundled server sees of the SMTP checks: one reject log line per refused
 * command, naming the qpsmtpd check or the spp plugin; a WARN for a listed plugin that is not
 * implemented; {@code GET /healthcheck} degraded while a control file or the smtpplugins list is
 * broken. Only 127.0.0.1 may relay, so the checks judge the other loopback addresses.
 */
class OperatorsViewIT {
    static final ListAppender<ILoggingEvent> REJECTS = capture("org.policyrouter.reject");
    static final ListAppender<ILoggingEvent> HOOKS = capture("org.policyrouter.hooks");
    static final SppPlugins PLUGINS = SppPlugins.create();

    static final PolicyRouterJames.Builder SERVER = PLUGINS.configure(PolicyRouterJames.builder()
            .withFile("qpsmtpd/plugins", "relay\nbadrcptto\nspamassassin reject_threshold 7\nrcpt_ok\nqueue/qmail-queue\n")
            .withFile("qpsmtpd/badrcptto", "closed@our.example\n")
            .withFile("qpsmtpd/rcpthosts", "our.example\n")
            .editConf("smtpserver.xml", xml -> xml.replace("<authorizedAddresses>127.0.0.0/8</authorizedAddresses>",
                "<authorizedAddresses>127.0.0.1/32</authorizedAddresses>")),
        UnaryOperator.identity());

    @RegisterExtension
    static JamesServerExtension james = SERVER.build();

    static ListAppender<ILoggingEvent> capture(String loggerName) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Logger logger = (Logger) LoggerFactory.getLogger(loggerName);
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
        return appender;
    }

    static List<String> lines(ListAppender<ILoggingEvent> appender, Level level, String containing) {
        synchronized (appender.list) {
            return appender.list.stream().filter(event -> event.getLevel() == level).map(ILoggingEvent::getFormattedMessage)
                .filter(line -> line.contains(containing)).collect(Collectors.toList());
        }
    }

    static String rcptReply(GuiceJamesServer server, String client, String recipient) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.openFrom(client, PolicyRouterJames.smtpPort(server), Duration.ofSeconds(30))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250 ");
            return smtp.command("RCPT TO:<" + recipient + ">");
        }
    }

    @Test
    void aRecipientRefusedByBadrcpttoIsOneRejectLogLine(GuiceJamesServer server) throws Exception {
        assertThat(rcptReply(server, "127.0.0.71", "closed@our.example")).isEqualTo("550 5.1.1 mail to closed@our.example not accepted here");

        assertThat(lines(REJECTS, Level.INFO, " 127.0.0.71 "))
            .containsExactly("badrcptto: 127.0.0.71 RCPT TO:<closed@our.example> -> 550 5.1.1 mail to closed@our.example not accepted here");
    }

    @Test
    void aRecipientRefusedByAnSppPluginIsOneRejectLogLineNamingThePlugin(GuiceJamesServer server) throws Exception {
        String plugin = PLUGINS.script("closed", "case \"$SMTPRCPTTO\" in spp-closed@*) echo \"E550 5.7.1 $SMTPRCPTTO is closed\";; esac");
        PLUGINS.smtpplugins("[rcpt]", plugin);

        assertThat(rcptReply(server, "127.0.0.72", "spp-closed@our.example")).isEqualTo("550 5.7.1 spp-closed@our.example is closed");

        assertThat(lines(REJECTS, Level.INFO, " 127.0.0.72 "))
            .containsExactly("spp plugins/closed: 127.0.0.72 RCPT TO:<spp-closed@our.example> -> 550 5.7.1 spp-closed@our.example is closed");
        PLUGINS.smtpplugins("[connection]");
    }

    @Test
    void anUnsupportedPluginIsAWarningNamingItsLine() {
        assertThat(lines(HOOKS, Level.WARN, "spamassassin")).singleElement().satisfies(line -> assertThat(line)
            .startsWith("qpsmtpd plugins: ")
            .endsWith("/qpsmtpd/plugins:3: spamassassin is not implemented here and is skipped: what it does is not done "
                + "(<unsupportedPlugins>refuse</unsupportedPlugins> makes this an error)"));
        assertThat(lines(HOOKS, Level.WARN, "queue/qmail-queue")).as("James queues the mail itself").isEmpty();
    }

    @Test
    void healthIsDegradedWhileAControlFileEditIsBrokenAndTheLastGoodVersionStillRejects(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);
        assertThat(controlFiles(webAdmin).get("status").asText()).isEqualTo("healthy");
        Path badrcptto = SERVER.confDirectory().resolve("qpsmtpd/badrcptto");

        Files.writeString(badrcptto, "closed@our.example\nbroken-line\n");

        JsonNode degraded = Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
            .until(() -> controlFiles(webAdmin), check -> check.get("status").asText().equals("degraded"));
        assertThat(degraded.get("cause").asText())
            .startsWith("an edit could not be loaded, the SMTP checks use the last good version: ")
            .endsWith("/qpsmtpd/badrcptto:2: an address or @host needs an @ sign (\"broken-line\")");
        assertThat(rcptReply(server, "127.0.0.73", "closed@our.example")).isEqualTo("550 5.1.1 mail to closed@our.example not accepted here");

        Files.writeString(badrcptto, "closed@our.example\n");

        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
            .until(() -> controlFiles(webAdmin), check -> check.get("status").asText().equals("healthy"));
    }

    @Test
    void healthIsDegradedWhileTheSmtppluginsListCannotBeRead(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);
        Path smtpplugins = PLUGINS.file("smtpplugins");

        Files.delete(smtpplugins);

        JsonNode degraded = Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
            .until(() -> controlFiles(webAdmin), check -> check.get("status").asText().equals("degraded"));
        assertThat(degraded.get("cause").asText()).contains("cannot read " + smtpplugins + " (java.nio.file.NoSuchFileException");

        PLUGINS.smtpplugins("[connection]");

        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
            .until(() -> controlFiles(webAdmin), check -> check.get("status").asText().equals("healthy"));
    }

    static JsonNode controlFiles(WebAdmin webAdmin) throws Exception {
        JsonNode health = new ObjectMapper().readTree(webAdmin.getText("/healthcheck").body());
        for (JsonNode check : health.get("checks")) {
            if (check.get("componentName").asText().equals("SMTP control files")) {
                return check;
            }
        }
        throw new AssertionError("no SMTP control files check in " + health);
    }
}
