package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.mail.internet.MimeMessage;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 15: qpsmtpd's queue plugins as next hops, written in {@code transport} as a qpsmtpd
 * {@code plugins} file writes them, through the bundled server over SMTP: the router spec's own
 * example {@code queue/maildir} (read back by Python's Maildir reader), {@code queue/qmail-queue}
 * (a checker of qmail-queue's fd 0/fd 1 interface) and {@code queue/smtp-forward HOST PORT}.
 */
class QueuePluginsIT {
    static final SmtpSink FORWARD = SmtpSink.start();
    static final Path QMAIL_QUEUE = DeliveryAgentsIT.unchecked(QueuePluginsIT::qmailQueue);

    static final PolicyRouterJames.Builder SERVER = PolicyRouterJames.builder()
        .withFile("policy/transport", String.join("\n",
            "maildir.example  queue/maildir",
            "qq.example       queue/qmail-queue " + QMAIL_QUEUE.resolve("qmail-queue"),
            "fwd.example      queue/smtp-forward 127.0.0.1 " + FORWARD.port(),
            ""));

    @RegisterExtension
    static JamesServerExtension james = SERVER.build();

    static final String MESSAGE = String.join("\r\n",
        "From: Sender <sender@client.example>",
        "To: someone@elsewhere.example",
        "Subject: through a queue plugin",
        "Message-ID: <queue-plugins-1@client.example>",
        "",
        "first line",
        ".a line that starts with a dot",
        "last line",
        "");

    /** A qmail-queue without arguments, as qpsmtpd runs it: the checker writes what it read into this folder. */
    static Path qmailQueue() throws Exception {
        Path dir = Files.createTempDirectory("qmail-queue");
        // qmail-queue runs as nobody (QmailQueueDelivery's default user) and writes here
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path checker = Path.of("../mailets/src/test/resources/qmail-queue-check.py").toAbsolutePath().normalize();
        Path program = dir.resolve("qmail-queue");
        Files.writeString(program, "#!/bin/sh\nexec /usr/bin/python3 " + checker + " " + dir + " 0\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    @AfterAll
    static void stop() {
        FORWARD.close();
    }

    private static void send(GuiceJamesServer server, String from, List<String> recipients) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<" + from + ">")).startsWith("250 2.1.0");
            for (String recipient : recipients) {
                assertThat(smtp.command("RCPT TO:<" + recipient + ">")).startsWith("250 2.1.5");
            }
            assertThat(smtp.data(MESSAGE)).startsWith("250 2.6.0 Message received");
            assertThat(smtp.command("QUIT")).startsWith("221");
        }
    }

    private static List<Path> newMessages(Path maildir) throws Exception {
        if (!Files.isDirectory(maildir.resolve("new"))) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(maildir.resolve("new"))) {
            return files.collect(Collectors.toList());
        }
    }

    @Test
    void theSpecsQueueMaildirDeliversIntoAMaildirThatAMaildirReaderReads(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("alice@maildir.example"));

        Path maildir = SERVER.confDirectory().resolveSibling("var/maildir/maildir.example/alice");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> newMessages(maildir).size() == 1);
        Process reader = new ProcessBuilder("/usr/bin/python3", "-c",
            "import mailbox, sys\n"
                + "for m in mailbox.Maildir(sys.argv[1], create=False):\n"
                + "    print(m['Return-Path'], m['Delivered-To'], m['Subject'], m.get_payload().splitlines())\n",
            maildir.toString()).redirectErrorStream(true).start();
        String read = new String(reader.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(reader.waitFor()).as(read).isZero();
        assertThat(read.strip()).isEqualTo("<sender@client.example> alice@maildir.example through a queue plugin"
            + " ['first line', '.a line that starts with a dot', 'last line']");
        assertThat(Files.readString(newMessages(maildir).get(0))).doesNotContain("\r");
    }

    @Test
    void queueQmailQueueHandsTheMessageAndEnvelopeOverAsQmailQueueReadsThem(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("a@qq.example", "b@qq.example"));

        Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> Files.exists(QMAIL_QUEUE.resolve("recipients")) || Files.exists(QMAIL_QUEUE.resolve("framing-error")));
        assertThat(QMAIL_QUEUE.resolve("framing-error")).doesNotExist();
        assertThat(Files.readAllLines(QMAIL_QUEUE.resolve("recipients"))).containsExactly("a@qq.example", "b@qq.example");
        assertThat(Files.readString(QMAIL_QUEUE.resolve("sender"))).isEqualTo("sender@client.example");
        String message = Files.readString(QMAIL_QUEUE.resolve("message"));
        assertThat(message).doesNotContain("\r").contains("Subject: through a queue plugin\n")
            .endsWith("\nfirst line\n.a line that starts with a dot\nlast line\n");
    }

    @Test
    void queueSmtpForwardRelaysToItsHostAndPort(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("x@fwd.example", "y@fwd.example"));

        List<MimeMessage> received = FORWARD.awaitMessages(2);
        assertThat(received.get(0).getSubject()).isEqualTo("through a queue plugin");
        assertThat(FORWARD.envelopeRecipients()).containsExactly("x@fwd.example", "y@fwd.example");
    }
}
