package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drop-in use: the stock James 3.8.1 memory distribution from Maven Central, its own memory
 * queue and Guice composition (none of ours), our jar copied into its extensions-jars/, our
 * mailets named in its mailetcontainer.xml. Only what any operator must change anyway is changed:
 * ports (loopback, unprivileged), the TLS/IMAP/POP3/JMAP listeners that need a keystore are
 * turned off, and our loggers log at INFO.
 *
 * <p>Routing sits in the stock {@code transport} processor, where relay-allowed mail would go to
 * RemoteDelivery: RoutePolicy gives it a next hop and sends it to {@code routed}, whose fallback
 * for next hops this test does not deliver is the stock {@code relay} processor, never
 * {@code transport} again, so no mail is routed twice. A temporary failure goes to
 * {@code deferred}, where Defer enqueues the mail into the memory app's {@code spool} queue,
 * delayed, in state {@code transport}: when due, James's own spooler routes it again.
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
    static void startStockJamesWithOurJar() throws Exception {
        // refuses the first two transactions with 451, accepts from the third on
        busyThenAccepting = ScriptedSmtpServer.deferringFirst(2);
        smtpPort = JamesProcess.freePort();
        Path home = stockJamesWithOurJar(smtpPort);
        Files.createDirectories(home.resolve("conf/policy"));
        Files.writeString(home.resolve("conf/policy/transport"), "dropin.example " + SINK.hostAndPort() + "\n"
            + "busy.example " + busyThenAccepting.hostAndPort() + "\n");
        james = JamesProcess.start(home, List.of("java", "-Dworking.directory=" + home,
            "-Dlogback.configurationFile=" + home.resolve("conf/logback.xml"), "-jar", "james-server-memory-app.jar"));
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

    static void send(String recipient, String subject, String body) throws IOException {
        try (SmtpConversation smtp = SmtpConversation.connect(smtpPort)) {
            smtp.readReply();
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<" + recipient + ">")).startsWith("250");
            assertThat(smtp.data("Subject: " + subject + "\r\n\r\n" + body + "\r\n")).startsWith("250");
        }
    }

    @Test
    void theExtensionJarLoadsInAStockJamesAndItsMailetsRouteMail() throws Exception {
        send("user@dropin.example", "drop-in", "routed by the extension jar");

        assertThat(SmtpSink.raw(SINK.awaitMessages(1).get(0))).contains("Subject: drop-in", "routed by the extension jar");
        assertThat(james.output()).contains("Loading custom classpath resource", "extensions-jars/james-policy-router-");
    }

    @Test
    void aMailDeferredByA451IsRetriedThroughTheStockMemoryQueueAndDeliveredOnceTheHopAccepts() throws Exception {
        send("user@busy.example", "retried", "deferred twice, then delivered");

        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> busyThenAccepting.messages().size() >= 1);
        assertThat(new String(busyThenAccepting.messages().get(0), StandardCharsets.UTF_8)).contains("Subject: retried");
        // two 451s, each followed by a deferral (retrySchedule 2s), then the transaction that delivered
        assertThat(busyThenAccepting.transactionCount()).isEqualTo(3);
        assertThat(james.output())
            .contains("deferred, to=<user@busy.example>, attempts=1", "deferred, to=<user@busy.example>, attempts=2")
            .doesNotContain("attempts=3");
        // nothing is left to retry: no second delivery, no further attempt
        Thread.sleep(5000);
        assertThat(busyThenAccepting.messages()).hasSize(1);
        assertThat(busyThenAccepting.transactionCount()).isEqualTo(3);
    }

    @Test
    void oneLineEachTurnsOnTheMetricsRouteAndThePolicyTablesHealthCheck() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + webAdminPort + "/healthcheck/checks/Policy%20tables")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body()).contains("\"componentName\":\"Policy tables\"", "\"status\":\"healthy\"");

        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + webAdminPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("# TYPE policyrouter_delivery_sent_total counter");
    }

    private static Path stockJamesWithOurJar(int smtpPort) throws IOException {
        Path stock = Paths.get("target/stock-james/james-server-memory-app").toAbsolutePath();
        Path dist = PolicyRouterJames.distribution();
        Path home = tmp.resolve("james-server-memory-app");
        PolicyRouterJames.copyTree(stock, home);
        Files.createSymbolicLink(home.resolve("james-server-memory-app.lib"), dist.resolve("james-server-memory-app.lib"));
        try (var jars = Files.list(dist.resolve("extensions-jars"))) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                Files.copy(jar, home.resolve("extensions-jars").resolve(jar.getFileName()));
            }
        }
        Path conf = home.resolve("conf");
        edit(conf.resolve("smtpserver.xml"), s -> disableAllButFirst(s.replace("<bind>0.0.0.0:25</bind>", "<bind>127.0.0.1:" + smtpPort + "</bind>"), "<smtpserver enabled=\"true\">"));
        // POP3 and ManageSieve ship disabled already
        edit(conf.resolve("imapserver.xml"), s -> s.replaceAll("enabled=\"true\"", "enabled=\"false\""));
        edit(conf.resolve("jmap.properties"), s -> s.replace("enabled=true", "enabled=false"));
        edit(conf.resolve("jmx.properties"), s -> s.replace("jmx.enabled=true", "jmx.enabled=false"));
        webAdminPort = freePortUnchecked();
        // what docs/spool.md asks of a drop-in operator: GET /metrics, and the policy tables' health check
        edit(conf.resolve("webadmin.properties"), s -> s.replace("port=8000", "port=" + webAdminPort)
            + "\nextensions.routes=org.apache.james.webadmin.dropwizard.MetricsRoutes\n");
        edit(conf.resolve("healthcheck.properties"), s -> s + "\nadditional.healthchecks=org.policyrouter.mailets.PolicyTablesHealthCheck\n");
        edit(conf.resolve("logback.xml"), s -> s.replace("/logs/james", home.resolve("james").toString())
            .replace("<logger name=\"org.apache.james\" level=\"INFO\" />",
                "<logger name=\"org.apache.james\" level=\"INFO\" />\n        <logger name=\"org.policyrouter\" level=\"INFO\" />"));
        edit(conf.resolve("mailetcontainer.xml"), s -> s
            // in transport, where relay-allowed mail would go to RemoteDelivery
            .replace("<mailet match=\"relay-allowed\" class=\"ToProcessor\">",
                "<mailet match=\"relay-allowed\" class=\"org.policyrouter.mailets.RoutePolicy\">\n"
                + "                <policyDirectory>file://conf/policy</policyDirectory>\n"
                + "                <routedProcessor>routed</routedProcessor>\n"
                + "            </mailet>\n"
                + "            <mailet match=\"relay-allowed\" class=\"ToProcessor\">")
            .replace("<processor state=\"error\"", "<processor state=\"routed\" enableJmx=\"false\">\n"
                + "            <mailet match=\"org.policyrouter.matchers.NextHopIs=smtp\" class=\"org.policyrouter.mailets.RelayDelivery\"/>\n"
                + "            <!-- not back to transport: RoutePolicy would route the mail again -->\n"
                + "            <mailet match=\"All\" class=\"ToProcessor\"><processor>relay</processor></mailet>\n"
                + "        </processor>\n"
                + "        <processor state=\"deferred\" enableJmx=\"false\">\n"
                + "            <mailet match=\"All\" class=\"org.policyrouter.mailets.Defer\">\n"
                + "                <queue>spool</queue>\n"
                + "                <retryProcessor>transport</retryProcessor>\n"
                + "                <retrySchedule>2s</retrySchedule>\n"
                + "                <jitter>0</jitter>\n"
                + "            </mailet>\n"
                + "        </processor>\n"
                + "        <processor state=\"undeliverable\" enableJmx=\"false\">\n"
                + "            <mailet match=\"All\" class=\"ToRepository\"><repositoryPath>memory://var/mail/undeliverable/</repositoryPath></mailet>\n"
                + "        </processor>\n"
                + "        <processor state=\"error\""));
        return home;
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

    private static int freePortUnchecked() {
        try {
            return JamesProcess.freePort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void edit(Path file, java.util.function.UnaryOperator<String> edit) throws IOException {
        String before = Files.readString(file);
        String after = edit.apply(before);
        assertThat(after).as("edit of %s changed nothing", file).isNotEqualTo(before);
        Files.writeString(file, after);
    }
}
