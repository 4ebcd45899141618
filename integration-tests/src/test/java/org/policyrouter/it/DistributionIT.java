package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assembled distribution as operators run it: bin/james-policy-router started as a process,
 * mail sent with swaks, a broken policy line and a busy port refusing the start clearly.
 */
class DistributionIT {
    static final SmtpSink SINK = SmtpSink.start();

    @TempDir
    static Path tmp;

    static Path home;
    static int smtpPort;
    static JamesProcess james;

    @BeforeAll
    static void startDistribution() throws Exception {
        smtpPort = JamesProcess.freePort();
        home = copyDistribution(tmp.resolve("running"), smtpPort, JamesProcess.freePort());
        Files.writeString(home.resolve("conf/policy/transport"), "routed.example " + SINK.hostAndPort() + "\n");
        james = JamesProcess.start(home, List.of(home.resolve("bin/james-policy-router").toString()));
        assertThat(james.awaitBanner(smtpPort, Duration.ofSeconds(60))).startsWith("220 ");
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        SINK.close();
    }

    static Path copyDistribution(Path target, int smtpPort, int webAdminPort) throws IOException {
        return JamesProcess.installDistribution(target, smtpPort, webAdminPort);
    }

    @Test
    void acceptsMailFromSwaksAndRelaysItToTheTransportNextHop() throws Exception {
        Process swaks = new ProcessBuilder("swaks", "--server", "127.0.0.1:" + smtpPort,
            "--from", "sender@client.example", "--to", "user@routed.example",
            "--header", "Subject: through the bundled server", "--header", "X-Swaks-Test: yes",
            "--body", "Hello from swaks.\nSecond line.")
            .redirectErrorStream(true).start();
        String transcript = new String(swaks.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(swaks.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(swaks.exitValue()).as(transcript).isZero();
        assertThat(transcript).contains("<-  250");

        List<MimeMessage> received = SINK.awaitMessages(1);
        String raw = SmtpSink.raw(received.get(0));
        assertThat(raw).contains("Subject: through the bundled server\r\n", "X-Swaks-Test: yes\r\n", "To: user@routed.example\r\n");
        assertThat(raw).endsWith("X-Swaks-Test: yes\r\n\r\nHello from swaks.\r\nSecond line.\r\n\r\n");
        assertThat(raw).doesNotContain("MIME-Version");
    }

    @Test
    void aSecondInstanceOnTheSamePortExplainsTheBusyPortInsteadOfAStackTraceWall() throws Exception {
        // another folder (its own spool), the same port; the same folder is refused earlier, by the spool lock (SecondInstanceIT)
        Path other = copyDistribution(tmp.resolve("second"), smtpPort, JamesProcess.freePort());
        try (JamesProcess second = JamesProcess.start(other, List.of(other.resolve("bin/james-policy-router").toString()))) {
            int status = second.awaitExit(Duration.ofSeconds(90));
            String output = second.output();

            assertThat(status).as(output).isEqualTo(1);
            assertThat(output).contains("james-policy-router: cannot start: a port is already in use");
            assertThat(output.lines().filter(l -> l.startsWith("\tat ")).count()).as(output).isLessThan(5);
        }
        assertThat(JamesProcess.isListening(smtpPort)).as("the first instance keeps serving").isTrue();
    }

    @Test
    void policyRouterChecksAndQueriesTheShippedTables() throws Exception {
        Path tables = tmp.resolve("cli-tables");
        Files.createDirectories(tables);
        Files.writeString(tables.resolve("transport"), "ok.example 127.0.0.1:2526\nbad.example host:99999\n*.fine.example mx\n/(open/ x.example\n"
            + "x.example |/bin/prog \"unterminated\n");
        Path script = home.resolve("bin/policy-router");

        Process check = new ProcessBuilder(script.toString(), "check", tables.toString()).redirectErrorStream(true).start();
        String checkOutput = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor()).as(checkOutput).isEqualTo(1);
        assertThat(checkOutput).contains("transport:2: port 99999 out of range", "transport:4: invalid regex",
            "transport:5: unterminated quote (\") in '/bin/prog \"unterminated'");

        Files.writeString(tables.resolve("transport"), "ok.example 127.0.0.1:2526\n");
        Process query = new ProcessBuilder(script.toString(), "query", tables.toString(), "--json", "user@OK.example").redirectErrorStream(true).start();
        String json = new String(query.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(query.waitFor()).as(json).isZero();
        assertThat(json).contains("\"type\":\"smtp\"", "\"rule\":\"transport:1\"", "\"target\":\"127.0.0.1:2526\"");
    }

    @Test
    void aBrokenTransportLineStopsTheStartNamingFileAndLine() throws Exception {
        Path broken = copyDistribution(tmp.resolve("broken"), JamesProcess.freePort(), JamesProcess.freePort());
        Files.writeString(broken.resolve("conf/policy/transport"), "# ok\nrouted.example 127.0.0.1:2526\nbad.example host:99999\n"
            + "pipe.example |/bin/prog \"unterminated\n");

        try (JamesProcess process = JamesProcess.start(broken, List.of(broken.resolve("bin/james-policy-router").toString()))) {
            int status = process.awaitExit(Duration.ofSeconds(90));

            assertThat(status).isEqualTo(1);
            // issue 16: one line says it all; the console has no stack trace, the log file has them
            assertThat(process.output().lines()).contains("james-policy-router: cannot start: invalid policy table: "
                + "transport:3: port 99999 out of range 1-65535 in relay host 'host:99999'; "
                + "transport:4: unterminated quote (\") in '/bin/prog \"unterminated'");
            assertThat(process.output().lines()).noneMatch(line -> line.startsWith("\tat ") || line.startsWith("Wrapped by: "));
            assertThat(Files.readString(broken.resolve("var/log/james.log"))).contains("\tat org.policyrouter.policy.PolicyErrors.throwIfAny");
        }
    }

    @Test
    void policyRouterCheckFindsABrokenFileOfEachKindThenOkOnceFixed() throws Exception {
        Path checked = copyDistribution(tmp.resolve("checked"), JamesProcess.freePort(), JamesProcess.freePort());
        Path conf = checked.resolve("conf");
        List<Path> edited = List.of(conf.resolve("qpsmtpd/plugins"), conf.resolve("qpsmtpd/badmailfrom"), conf.resolve("smtpplugins"),
            conf.resolve("smtpserver.xml"), conf.resolve("mailetcontainer.xml"));
        List<String> shipped = new java.util.ArrayList<>();
        for (Path file : edited) {
            shipped.add(Files.readString(file));
        }
        // an unsupported plugin is only a warning; badmailfrom then reads its control file, which has a line without @
        JamesProcess.replaceIn(conf.resolve("qpsmtpd/plugins"), "#badmailfrom\n", "badmailfrom\nspamassassin\n");
        int badLine = lineCount(conf.resolve("qpsmtpd/badmailfrom")) + 1;
        Files.writeString(conf.resolve("qpsmtpd/badmailfrom"), "nobody\n", java.nio.file.StandardOpenOption.APPEND);
        JamesProcess.replaceIn(conf.resolve("smtpplugins"), "#plugins/mfdnscheck", "plugins/mfdnscheck");
        JamesProcess.replaceIn(conf.resolve("smtpserver.xml"), "hooks.qpsmtpd.QmailNullSender\"", "hooks.qpsmtpd.QmailNullSenderr\"");
        JamesProcess.replaceIn(conf.resolve("mailetcontainer.xml"), "<loopProcessor>undeliverable<", "<loopProcessor>undeliverabel<");

        int spamassassin = lineOf(conf.resolve("qpsmtpd/plugins"), "spamassassin");
        int mfdnscheck = lineOf(conf.resolve("smtpplugins"), "plugins/mfdnscheck");
        int handler = lineOf(conf.resolve("smtpserver.xml"), "QmailNullSenderr");
        int loopProcessor = lineOf(conf.resolve("mailetcontainer.xml"), "undeliverabel");
        Path program = checked.toRealPath().resolve("plugins/mfdnscheck");

        Process broken = new ProcessBuilder(checked.resolve("bin/policy-router").toString(), "check").start();
        String brokenOut = new String(broken.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String brokenErr = new String(broken.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(broken.waitFor()).as(brokenOut + brokenErr).isEqualTo(1);
        assertThat(brokenErr.lines()).as(brokenErr).anyMatch(line -> line.endsWith("/conf/qpsmtpd/plugins:" + spamassassin
                + ": spamassassin is not implemented here and is skipped: what it does is not done "
                + "(<unsupportedPlugins>refuse</unsupportedPlugins> makes this an error)"))
            .anyMatch(line -> line.endsWith("/conf/qpsmtpd/badmailfrom:" + badLine + ": an address or @host needs an @ sign (\"nobody\")"))
            .anyMatch(line -> line.endsWith("/conf/smtpplugins:" + mfdnscheck
                + ": plugin program " + program + " does not exist"))
            .anyMatch(line -> line.endsWith("/conf/smtpserver.xml:" + handler
                + ": <handler class=\"org.policyrouter.hooks.qpsmtpd.QmailNullSenderr\">: no such class in James's lib or extensions-jars"))
            .anyMatch(line -> line.contains("/conf/mailetcontainer.xml:" + loopProcessor
                + ": <loopProcessor>undeliverabel</loopProcessor> of NextHopProcessor: no such processor (processors: root, error, transport, "))
            .anyMatch(line -> line.endsWith("/conf: 4 errors"));
        // the parsers' own log lines stay off the console: check says it once, as file:line
        assertThat(brokenOut + brokenErr).doesNotContain("ERROR", "WARN ");

        for (int i = 0; i < edited.size(); i++) {
            if (!edited.get(i).endsWith("plugins")) {
                Files.writeString(edited.get(i), shipped.get(i));
            }
        }
        Files.writeString(conf.resolve("qpsmtpd/badmailfrom"), shipped.get(1) + "@spam.example\n");
        Process fixed = new ProcessBuilder(checked.resolve("bin/policy-router").toString(), "check").start();
        String fixedOut = new String(fixed.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String fixedErr = new String(fixed.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(fixed.waitFor()).as(fixedOut + fixedErr).isZero();
        // the unsupported plugin is still listed: a warning, exit 0
        assertThat(fixedErr.lines()).as(fixedErr).singleElement().asString().contains("spamassassin is not implemented here");
        assertThat(fixedOut.lines()).as(fixedOut).anyMatch(line -> line.contains("/conf/policy: OK: "))
            .anyMatch(line -> line.endsWith("/conf/qpsmtpd/plugins: OK: running [badmailfrom]; skipped: spamassassin (not implemented)"))
            .anyMatch(line -> line.contains("/conf/smtpplugins: OK: 0 plugins"))
            .anyMatch(line -> line.endsWith("/conf/smtpserver.xml: OK: handler classes"))
            .anyMatch(line -> line.endsWith("/conf/mailetcontainer.xml: OK: mailet and matcher classes, processor names"));
    }

    private static int lineCount(Path file) throws IOException {
        return (int) Files.readString(file).lines().count();
    }

    /** The 1-based line of the first line containing text. */
    private static int lineOf(Path file, String text) throws IOException {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new IllegalStateException(file + " has no " + text);
    }
}
