package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drop-in use: the stock James 3.8.1 memory distribution from Maven Central, our jar copied
 * into its extensions-jars/, our mailets named in its mailetcontainer.xml. Only what any operator
 * must change anyway is changed: ports (loopback, unprivileged), and the TLS/IMAP/POP3/JMAP
 * listeners that need a keystore are turned off.
 */
class DropInStockJamesIT {
    static final SmtpSink SINK = SmtpSink.start();

    @TempDir
    static Path tmp;

    @AfterAll
    static void stopSink() {
        SINK.close();
    }

    @Test
    void theExtensionJarLoadsInAStockJamesAndItsMailetsRouteMail() throws Exception {
        int smtpPort = JamesProcess.freePort();
        Path home = stockJamesWithOurJar(smtpPort);
        Files.createDirectories(home.resolve("conf/policy"));
        Files.writeString(home.resolve("conf/policy/transport"), "dropin.example " + SINK.hostAndPort() + "\n");

        try (JamesProcess james = JamesProcess.start(home, List.of("java", "-Dworking.directory=" + home,
            "-Dlogback.configurationFile=" + home.resolve("conf/logback.xml"), "-jar", "james-server-memory-app.jar"))) {
            james.awaitBanner(smtpPort, Duration.ofSeconds(90));

            try (SmtpConversation smtp = SmtpConversation.connect(smtpPort)) {
                smtp.readReply();
                assertThat(smtp.command("EHLO client.example")).startsWith("250");
                assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250");
                assertThat(smtp.command("RCPT TO:<user@dropin.example>")).startsWith("250");
                assertThat(smtp.data("Subject: drop-in\r\n\r\nrouted by the extension jar\r\n")).startsWith("250");
            }

            assertThat(SmtpSink.raw(SINK.awaitMessages(1).get(0))).contains("Subject: drop-in", "routed by the extension jar");
            assertThat(james.output()).contains("Loading custom classpath resource", "extensions-jars/james-policy-router-");
        }
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
        edit(conf.resolve("webadmin.properties"), s -> s.replace("port=8000", "port=" + freePortUnchecked()));
        edit(conf.resolve("logback.xml"), s -> s.replace("/logs/james", home.resolve("james").toString()));
        edit(conf.resolve("mailetcontainer.xml"), s -> s
            .replace("<mailet match=\"RelayLimit=30\" class=\"Null\"/>", "<mailet match=\"RelayLimit=30\" class=\"Null\"/>\n"
                + "            <mailet match=\"All\" class=\"org.policyrouter.mailets.RoutePolicy\">\n"
                + "                <policyDirectory>file://conf/policy</policyDirectory>\n"
                + "                <routedProcessor>routed</routedProcessor>\n"
                + "            </mailet>")
            .replace("<processor state=\"error\"", "<processor state=\"routed\" enableJmx=\"false\">\n"
                + "            <mailet match=\"org.policyrouter.matchers.NextHopIs=smtp\" class=\"org.policyrouter.mailets.RelayDelivery\"/>\n"
                + "            <mailet match=\"All\" class=\"ToProcessor\"><processor>transport</processor></mailet>\n"
                + "        </processor>\n"
                + "        <processor state=\"deferred\" enableJmx=\"false\">\n"
                + "            <mailet match=\"All\" class=\"ToRepository\"><repositoryPath>memory://var/mail/deferred/</repositoryPath></mailet>\n"
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
