package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.policy.RoutingAttributes;

/**
 * Issue 15: {@code queue/qmail-queue}. The program is a checker of qmail-queue's interface
 * ({@code qmail-queue-check.py}): it reads fd 0 and fd 1 as qmail-queue does, refuses a wrong
 * framing with 91, and keeps what it read; its exit status then plays qmail-queue's.
 */
class QmailQueueDeliveryTest {
    @TempDir
    Path tmp;

    @org.junit.jupiter.api.BeforeEach
    void letTheProgramsWrite() throws Exception {
        ProgramDirectories.writableByAnyone(tmp);
    }

    private final RecordingMailetContext context = new RecordingMailetContext();

    @BeforeEach
    void python() {
        assumeThat(Path.of("/usr/bin/python3")).as("the qmail-queue checker is a python3 program").exists();
    }

    /** A qmail-queue that takes no arguments, as qmail-smtpd and qpsmtpd run it, and exits with {@code status}. */
    private String qmailQueue(int status) throws Exception {
        Path checker = Path.of(getClass().getResource("/qmail-queue-check.py").toURI());
        Path program = tmp.resolve("qmail-queue-" + status);
        Files.writeString(program, "#!/bin/sh\nexec /usr/bin/python3 " + checker + " " + tmp + " " + status + "\n");
        // it runs as nobody
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        return program.toString();
    }

    private QmailQueueDelivery mailet() throws Exception {
        QmailQueueDelivery mailet = new QmailQueueDelivery(new RecordingMetricFactory());
        mailet.init(FakeMailetConfig.builder().mailetName("deliver-qmail-queue").mailetContext(context.context)
            .setProperty("timeout", "20s").build());
        return mailet;
    }

    private static Mail mail(String nextHop, String sender, String... recipients) throws Exception {
        return RoutedMail.of(nextHop, sender, MimeMessageBuilder.mimeMessageBuilder().setSubject("queued").setText("line one\r\nline two\r\n"),
            recipients);
    }

    @Test
    void theMessageGoesOnFdZeroWithUnixLineEndsAndTheEnvelopeOnFdOne() throws Exception {
        Mail mail = mail("queue/qmail-queue " + qmailQueue(0), "sender@client.example", "a@x.example", "B@y.example");
        ByteArrayOutputStream original = new ByteArrayOutputStream();
        mail.getMessage().writeTo(original);
        QmailQueueDelivery mailet = mailet();

        mailet.service(mail);
        mailet.destroy();

        assertThat(tmp.resolve("framing-error")).doesNotExist();
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(Files.readString(tmp.resolve("message"))).isEqualTo(original.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"));
        assertThat(Files.readString(tmp.resolve("sender"))).isEqualTo("sender@client.example");
        assertThat(Files.readAllLines(tmp.resolve("recipients"))).containsExactly("a@x.example", "B@y.example");
        assertThat(new String(QmailQueueDelivery.envelope(mail), StandardCharsets.UTF_8))
            .isEqualTo("Fsender@client.example\0Ta@x.example\0TB@y.example\0\0");
    }

    @Test
    void theNullSenderIsAnEmptyFField() throws Exception {
        Mail mail = mail("queue/qmail-queue " + qmailQueue(0), "", "a@x.example");

        mailet().service(mail);

        assertThat(tmp.resolve("framing-error")).doesNotExist();
        assertThat(Files.readString(tmp.resolve("sender"))).isEmpty();
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void statusesElevenToFortyArePermanentWithQmailsWords() throws Exception {
        Mail mail = mail("queue/qmail-queue " + qmailQueue(31), "sender@client.example", "a@x.example");

        mailet().service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(context.sent).hasSize(1);
        assertThat(context.sent.get(0).state).isEqualTo("undeliverable");
        assertThat(context.sent.get(0).mail.getErrorMessage()).startsWith("5.3.0 mail server permanently rejected message (" + qmailQueue(31)
            + " exited with status 31");
    }

    @Test
    void otherStatusesAreTemporary() throws Exception {
        Mail mail = mail("queue/qmail-queue " + qmailQueue(53), "sender@client.example", "a@x.example");

        mailet().service(mail);

        assertThat(mail.getState()).isEqualTo("deferred");
        assertThat(mail.getErrorMessage()).startsWith("4.3.0 qq write error or disk full");
    }

    @Test
    void aMissingProgramIsTemporarySoTheOperatorCanInstallIt() throws Exception {
        Mail mail = mail("queue/qmail-queue " + tmp.resolve("no-such-qmail-queue"), "sender@client.example", "a@x.example");

        mailet().service(mail);

        assertThat(mail.getState()).isEqualTo("deferred");
        assertThat(mail.getErrorMessage()).startsWith("4.3.0 qq temporary problem");
    }
}
