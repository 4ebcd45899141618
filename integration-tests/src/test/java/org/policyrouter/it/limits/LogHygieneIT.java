package org.policyrouter.it.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.SmtpConversation;

/**
 * Issue 19, item 13: what clients send does not reach james.log raw, and their mistakes are one
 * line each. James logged an address it could not parse with its whole stack trace (35 lines) at
 * INFO, and NUL, escape and carriage-return bytes from clients as they came. The bundled server
 * runs as its own process here, with its own conf/logback.xml, as operators run it.
 */
class LogHygieneIT {
    @TempDir
    static Path folder;
    static JamesProcess process;
    static int smtpPort;
    static Path log;

    @BeforeAll
    static void start() throws Exception {
        smtpPort = JamesProcess.freePort();
        Path home = JamesProcess.installDistribution(folder.resolve("james"), smtpPort, JamesProcess.freePort());
        log = home.resolve("var/log/james.log");
        process = JamesProcess.start(home, List.of(home.resolve("bin/james-policy-router").toString()));
        process.awaitBanner(smtpPort, Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() throws Exception {
        if (process != null) {
            process.close();
        }
    }

    static void sendRaw(String... commands) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.open(smtpPort, Duration.ofSeconds(30))) {
            smtp.readReply();
            for (String command : commands) {
                smtp.command(command);
            }
        }
    }

    @Test
    void clientErrorsAreOneEscapedLineEach() throws Exception {
        sendRaw("EHLO bad\u0000helo\u001b[31m.example",
            "MAIL FROM:<nul\u0000byte@client.example>",
            "MAIL FROM:<two@@ats.example>",
            "MAIL FROM:<ok@client.example>",
            "RCPT TO:<bell\u0007and\u001b[2Jescape@client.example>",
            "RCPT TO:<cr\rinside@client.example>",
            "RCPT TO:<no-domain@>",
            "FOO\u0000\u007f BAR",
            "QUIT");

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(log, StandardCharsets.ISO_8859_1).contains("inside@client.example"));
        byte[] bytes = Files.readAllBytes(log);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);

        // no control byte but the line feeds (and the tabs of WARN/ERROR stack traces)
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            assertThat(b < 0x20 && b != '\n' && b != '\t' || b == 0x7f)
                .as("control byte 0x%02x at %d: %s", b, i, text.substring(Math.max(0, i - 80), Math.min(text.length(), i + 20)))
                .isFalse();
        }
        List<String> parseErrors = text.lines().filter(line -> line.contains("Error parsing")).collect(Collectors.toList());
        assertThat(parseErrors).hasSize(5);
        assertThat(parseErrors).anySatisfy(line -> assertThat(line).contains("nul\\x00byte@client.example").contains("(javax.mail.internet.AddressException: "));
        assertThat(parseErrors).anySatisfy(line -> assertThat(line).contains("bell\\x07and\\x1b[2Jescape@client.example"));
        assertThat(parseErrors).anySatisfy(line -> assertThat(line).contains("two@@ats.example"));
        assertThat(parseErrors).anySatisfy(line -> assertThat(line).contains("cr\\x0dinside@client.example"));
        // one line each: no stack trace anywhere after them
        assertThat(text).doesNotContain("\tat javax.mail.internet.InternetAddress")
            .doesNotContain("\tat org.apache.james.core.MailAddress")
            .doesNotContain("\tat org.apache.james.protocols.smtp.core.");
    }
}
