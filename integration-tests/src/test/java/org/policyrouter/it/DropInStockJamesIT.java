package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.net.http.HttpResponse;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.spool.WebAdmin;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The drop-in use, as README.md's "Drop-in" section tells an operator (issue 16): the stock James
 * 3.8.1 memory distribution from Maven Central, its own memory queue, Guice composition, handler
 * chain (JMX statistics on, as shipped), logging and start command
 * ({@code java -Dworking.directory=. …} from its folder: a relative working directory); the
 * README's blocks applied as written ({@link DropInReadme}). Besides those, only what any test
 * must change: ports (loopback, free), the listeners that need a keystore or a port of their own
 * (TLS SMTP, IMAP, JMAP, JMX's RMI) off, the log file in the James folder, the relay network
 * narrowed to 127.0.0.1 so that 127.0.0.20 is a client from outside. Then the tables an
 * operator fills: a transport rule, a qpsmtpd check (badmailfrom), an spp plugin.
 */
class DropInStockJamesIT {
    static final SmtpSink SINK = SmtpSink.start();
    static ScriptedSmtpServer busyThenAccepting;
    static JamesProcess james;
    static int smtpPort;
    static int webAdminPort;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void installAsReadmeSaysAndStart() throws Exception {
        // refuses the first transaction with 451, accepts from the second on
        busyThenAccepting = ScriptedSmtpServer.deferringFirst(1);
        smtpPort = JamesProcess.freePort();
        webAdminPort = JamesProcess.freePort();
        // spp plugins run as nobody: the folder they live in must be open to it
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path home = stockJames();
        DropInReadme.read(Paths.get("../README.md")).install(PolicyRouterJames.distribution(), home);
        Files.writeString(home.resolve("conf/policy/transport"), "dropin.example " + SINK.hostAndPort() + "\n"
            + "busy.example " + busyThenAccepting.hostAndPort() + "\n");
        Files.writeString(home.resolve("conf/qpsmtpd/plugins"), "badmailfrom\n");
        Files.writeString(home.resolve("conf/qpsmtpd/badmailfrom"), "spammer@bad.example\n");
        Path plugin = home.resolve("plugins/refuse-blocked");
        Files.writeString(plugin, "#!/bin/sh\ncase \"$SMTPRCPTTO\" in blocked@*) echo 'E553 sorry, refused by plugin';; esac\n");
        Files.setPosixFilePermissions(plugin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(home.resolve("conf/smtpplugins"), "[rcpt]\nplugins/refuse-blocked\n");

        // James's README: java -Dworking.directory=. -Dlogback.configurationFile=conf/logback.xml … -jar, from its folder
        james = JamesProcess.start(home, List.of("java", "-Dworking.directory=.", "-Dlogback.configurationFile=conf/logback.xml",
            "-Djdk.tls.ephemeralDHKeySize=2048", "-jar", "james-server-memory-app.jar"));
        james.awaitBanner(smtpPort, Duration.ofSeconds(90));
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        SINK.close();
        if (busyThenAccepting != null) {
            busyThenAccepting.close();
        }
    }

    /** The stock distribution in a folder of its own; only ports, keystore listeners and the log file's place changed. */
    private static Path stockJames() throws IOException {
        Path stock = Paths.get("target/stock-james/james-server-memory-app").toAbsolutePath();
        Path home = tmp.resolve("james-server-memory-app");
        PolicyRouterJames.copyTree(stock, home);
        Files.createSymbolicLink(home.resolve("james-server-memory-app.lib"), PolicyRouterJames.distribution().resolve("james-server-memory-app.lib"));
        Path conf = home.resolve("conf");
        // the relay network is this test's client only: 127.0.0.20 plays a client from outside
        edit(conf.resolve("smtpserver.xml"), s -> disableAllButFirst(s.replace("<bind>0.0.0.0:25</bind>", "<bind>127.0.0.1:" + smtpPort + "</bind>")
            .replace("<authorizedAddresses>127.0.0.0/8</authorizedAddresses>", "<authorizedAddresses>127.0.0.1/32</authorizedAddresses>"),
            "<smtpserver enabled=\"true\">"));
        // POP3 and ManageSieve ship disabled already
        edit(conf.resolve("imapserver.xml"), s -> s.replaceAll("enabled=\"true\"", "enabled=\"false\""));
        edit(conf.resolve("jmap.properties"), s -> s.replace("enabled=true", "enabled=false"));
        edit(conf.resolve("jmx.properties"), s -> s.replace("jmx.enabled=true", "jmx.enabled=false"));
        edit(conf.resolve("webadmin.properties"), s -> s.replace("port=8000", "port=" + webAdminPort));
        edit(conf.resolve("logback.xml"), s -> s.replace("/logs/james", home.resolve("james").toString()));
        return home;
    }

    static String send(String from, String recipient, String subject) throws IOException {
        try (SmtpConversation smtp = SmtpConversation.connect(smtpPort)) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            String mail = smtp.command("MAIL FROM:<" + from + ">");
            if (!mail.startsWith("250")) {
                return mail;
            }
            String rcpt = smtp.command("RCPT TO:<" + recipient + ">");
            if (!rcpt.startsWith("250")) {
                return rcpt;
            }
            return smtp.data("Subject: " + subject + "\r\n\r\nsent to " + recipient + "\r\n");
        }
    }

    @Test
    void aTransportRuleRoutesMailAndOurLinesAreLogged() throws Exception {
        assertThat(send("sender@client.example", "user@dropin.example", "drop-in")).startsWith("250");

        Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> SINK.messages().stream().map(SmtpSink::raw).anyMatch(raw -> raw.contains("Subject: drop-in")));
        assertThat(james.output()).contains("Loading custom classpath resource", "extensions-jars/james-policy-router-");
        // README's logback step: our INFO lines are no longer hidden by the stock root level
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> james.output().lines()
            .anyMatch(line -> line.contains("to=<user@dropin.example>, relay=" + SINK.hostAndPort()) && line.contains("status=sent")));
    }

    @Test
    void aQpsmtpdCheckRefusesAClientFromOutsideWithQpsmtpdsText() throws Exception {
        // relay clients are immune to badmailfrom, as in qpsmtpd
        try (SmtpConversation smtp = SmtpConversation.openFrom("127.0.0.20", smtpPort, Duration.ofSeconds(30))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<spammer@bad.example>")).isEqualTo("550 5.7.1 Your envelope sender is in my badmailfrom list");
        }
        assertThat(james.output()).contains("badmailfrom");
    }

    @Test
    void anSppPluginRunsFromTheRelativeWorkingDirectory() throws Exception {
        assertThat(send("sender@client.example", "blocked@dropin.example", "refused")).isEqualTo("553 sorry, refused by plugin");
        assertThat(send("sender@client.example", "fine@dropin.example", "accepted")).startsWith("250");
    }

    @Test
    void theLimitsWorkInAStockChainWithItsJmxStatistics() throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(smtpPort)) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<long@dropin.example>")).startsWith("250");
            // a line over maxLineLength: the whole message is refused at its end, never cut
            assertThat(smtp.data("Subject: long line\r\n\r\n" + "x".repeat(70000) + "\r\n"))
                .isEqualTo("552 5.3.4 Message refused: a line is longer than 65536 bytes");
        }
        assertThat(send("sender@client.example", "after@dropin.example", "after the long line")).startsWith("250");
    }

    @Test
    void thePostmasterWithoutDomainIsAcceptedAsRfc5321Requires() throws Exception {
        try (SmtpConversation smtp = SmtpConversation.openFrom("127.0.0.20", smtpPort, Duration.ofSeconds(30))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<someone@client.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<Postmaster>")).startsWith("250");
            assertThat(smtp.data("Subject: to the postmaster\r\n\r\nhello\r\n")).startsWith("250");
        }
    }

    @Test
    void aDeferredMailWaitsInJamesQueueAndWebAdminFlushesItToDelivery() throws Exception {
        WebAdmin webAdmin = new WebAdmin(webAdminPort);
        assertThat(send("sender@client.example", "user@busy.example", "retried")).startsWith("250");

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> webAdmin.delayedMails("spool").size() == 1);
        JsonNode deferred = webAdmin.delayedMails("spool").get(0);
        assertThat(deferred.get("recipients").toString()).contains("user@busy.example");
        assertThat(busyThenAccepting.transactionCount()).isEqualTo(1);
        assertThat(james.output()).contains("deferred, to=<user@busy.example>, attempts=1");
        // our queue routes are installed and point to James's for its own queue
        assertThat(webAdmin.status("GET", "/spool/queues/spool/messages")).isEqualTo(404);

        webAdmin.flushDelayed("spool");

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> busyThenAccepting.messages().size() == 1);
        assertThat(new String(busyThenAccepting.messages().get(0), StandardCharsets.UTF_8)).contains("Subject: retried");
        assertThat(busyThenAccepting.transactionCount()).isEqualTo(2);
        assertThat(webAdmin.delayedMails("spool")).isEmpty();
    }

    @Test
    void theMetricsRouteAndThePolicyTablesHealthCheckAnswer() throws Exception {
        WebAdmin webAdmin = new WebAdmin(webAdminPort);
        HttpResponse<String> health = webAdmin.getText("/healthcheck/checks/Policy%20tables");
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body()).contains("\"componentName\":\"Policy tables\"", "\"status\":\"healthy\"");

        assertThat(webAdmin.getText("/metrics").body()).contains("# TYPE policyrouter_delivery_sent_total counter");
    }

    @Test
    void theReadmeHasEveryDropInStep() throws Exception {
        // the jar and tables, smtpserver.xml twice, mailetcontainer.xml three times, mailrepositorystore.xml, webadmin.properties,
        // healthcheck.properties, logback.xml
        assertThat(DropInReadme.read(Paths.get("../README.md")).size()).isEqualTo(10);
    }

    private static String disableAllButFirst(String xml, String marker) {
        Matcher m = Pattern.compile(Pattern.quote(marker)).matcher(xml);
        StringBuilder out = new StringBuilder();
        boolean first = true;
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(first ? marker : "<smtpserver enabled=\"false\">"));
            first = false;
        }
        m.appendTail(out);
        return out.toString();
    }

    private static void edit(Path file, java.util.function.UnaryOperator<String> edit) throws IOException {
        String before = Files.readString(file);
        String after = edit.apply(before);
        assertThat(after).as("edit of %s changed nothing", file).isNotEqualTo(before);
        Files.writeString(file, after);
    }
}
