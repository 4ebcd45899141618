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
}
