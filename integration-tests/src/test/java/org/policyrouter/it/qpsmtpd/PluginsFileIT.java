package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.SmtpConversation;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** An unchanged qpsmtpd config directory, plugins file included, run by the Plugins handler. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PluginsFileIT {
    static final ListAppender<ILoggingEvent> LOG = capture("org.policyrouter.hooks");
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory();
    static final String[] PLUGINS = {
        "# qpsmtpd's plugins file, as found on a qpsmtpd server",
        "hosts_allow",
        "count_unrecognized_commands 2",
        "relay",
        "helo policy lenient",
        "badmailfrom reject naughty",
        "badrcptto",
        "naughty reject rcpt",
        "greylisting recipient 1 black_timeout 1 grey_timeout 30 white_timeout 60 db_dir " + CHAIN.configDir().resolve("greylist"),
        "rcpt_ok",
        "spamassassin reject_threshold 7",
        "auth/auth_flat_file",
        "tls",
        "logging/warn 7",
        "queue/qmail-queue"};

    static {
        CHAIN.write("plugins", PLUGINS)
            .write("badmailfrom", "spammer@bad.example")
            .write("badrcptto", "closed@our.example")
            .write("relayclients", "127.0.0.5")
            .write("rcpthosts", "our.example");
    }

    @RegisterExtension
    static JamesServerExtension james = CHAIN.james(CHAIN.handler("Plugins")).build();

    static ListAppender<ILoggingEvent> capture(String loggerName) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Logger logger = (Logger) LoggerFactory.getLogger(loggerName);
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        logger.addAppender(appender);
        return appender;
    }

    @Test
    void namesTheSkippedPluginsInOneLogLine() {
        List<String> lines = LOG.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        assertThat(lines).contains("qpsmtpd plugins: running [hosts_allow, count_unrecognized_commands, relay, helo, badmailfrom, "
            + "badrcptto, naughty, greylisting, rcpt_ok]; skipped: spamassassin (not implemented), auth/auth_flat_file (James does this itself), "
            + "tls (James does this itself), logging/warn (James does this itself), queue/qmail-queue (James does this itself)");
    }

    @Test
    void aNaughtySenderIsRefusedLaterByTheNaughtyPlugin(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.61")) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<spammer@bad.example>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<user@our.example>")).isEqualTo("550 5.7.1 Your envelope sender is in my badmailfrom list");
        }
    }

    @Test
    void greylistsANewTripletUntilItComesBackAfterTheBlackPeriod(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.62", "a@client.example", "user@our.example")).isEqualTo("450 4.7.1 This mail is temporarily denied");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.62", "a@client.example", "user@our.example")).isEqualTo("450 4.7.1 This mail is temporarily denied");
        Thread.sleep(1200);
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.62", "a@client.example", "user@our.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.62", "a@client.example", "user@our.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.62", "a@client.example", "other@our.example")).isEqualTo("450 4.7.1 This mail is temporarily denied");
        assertThat(Files.exists(CHAIN.configDir().resolve("greylist/greylist.journal"))).isTrue();
    }

    @Test
    void relayClientsAreNotGreylistedAndMayRelay(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.5")) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<a@client.example>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<user@foreign.example>")).startsWith("250 ");
        }
    }

    @Test
    void hangsUpOnTheSecondUnrecognizedCommand(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.63")) {
            assertThat(smtp.command("FOO")).startsWith("500 ");
            assertThat(smtp.command("BAR")).isEqualTo("521 5.5.1 Closing connection, 2 unrecognized commands. Perhaps you should read RFC 2821?");
        }
    }

    /** Last: the edit changes what every other test relies on. */
    @Test
    @Order(Integer.MAX_VALUE)
    void anEditedPluginsFileTakesEffectWithoutRestart(GuiceJamesServer server) throws Exception {
        CHAIN.write("plugins", "relay", "badrcptto", "rcpt_ok");
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.64")) {
                smtp.command("EHLO client.example");
                assertThat(smtp.command("MAIL FROM:<spammer@bad.example>")).startsWith("250 ");
                assertThat(smtp.command("RCPT TO:<user@our.example>")).startsWith("250 ");
                assertThat(smtp.command("RCPT TO:<closed@our.example>")).isEqualTo("550 5.1.1 mail to closed@our.example not accepted here");
            }
        });
    }

}
