package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.policy.RoutingAttributes;

/**
 * Issue 15: {@code queue/maildir}, qpsmtpd's plugin, as a next hop. What is on disk is read
 * back byte for byte, and by a Maildir reader that is not ours (Python's {@code mailbox}).
 */
class MaildirDeliveryTest {
    @TempDir
    Path workingDirectory;

    private final RecordingMailetContext context = new RecordingMailetContext();

    private MaildirDelivery maildir() throws Exception {
        MaildirDelivery mailet = new MaildirDelivery(new WorkingDirectoryFileSystem(workingDirectory), new RecordingMetricFactory());
        mailet.init(FakeMailetConfig.builder().mailetName("deliver-maildir").mailetContext(context.context)
            .setProperty("hostName", "mx.router.example").build());
        return mailet;
    }

    private static Mail mailTo(String nextHop, String sender, String... recipients) throws Exception {
        return RoutedMail.of(nextHop, sender, MimeMessageBuilder.mimeMessageBuilder().setSubject("to a maildir").setText("line one\r\nline two\r\n"),
            recipients);
    }

    /** The message as a Maildir holds it: LF line ends. */
    private static String unix(Mail mail) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        mail.getMessage().writeTo(bytes);
        return bytes.toString(StandardCharsets.UTF_8).replace("\r\n", "\n");
    }

    private static List<Path> files(Path directory) throws Exception {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().collect(Collectors.toList());
        }
    }

    @Test
    void theSpecsBareQueueMaildirWritesOneMessagePerRecipientUnderVarMaildirDomainLocalPart() throws Exception {
        Mail mail = mailTo("queue/maildir", "sender@client.example", "alice@x.example", "Bob@y.example");
        String message = unix(mail);

        maildir().service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        Path alice = workingDirectory.resolve("var/maildir/x.example/alice");
        Path bob = workingDirectory.resolve("var/maildir/y.example/Bob");
        assertThat(files(alice.resolve("new"))).hasSize(1);
        assertThat(files(bob.resolve("new"))).hasSize(1);
        assertThat(Files.readString(files(alice.resolve("new")).get(0)))
            .isEqualTo("Return-Path: <sender@client.example>\nDelivered-To: alice@x.example\n" + message);
        assertThat(Files.readString(files(bob.resolve("new")).get(0)))
            .isEqualTo("Return-Path: <sender@client.example>\nDelivered-To: Bob@y.example\n" + message);
        assertThat(files(alice.resolve("tmp"))).isEmpty();
        assertThat(files(alice.resolve("cur"))).isEmpty();
        assertThat(files(alice.resolve("new")).get(0).getFileName().toString()).matches("[0-9]+\\.M[0-9]+P[0-9]+Q[0-9]+\\.mx\\.router\\.example");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(alice))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files(alice.resolve("new")).get(0)))).isEqualTo("rw-------");
    }

    @Test
    void oneMaildirForTheWholeMailCarriesADeliveredToPerRecipientAndTheNullSender() throws Exception {
        Path shared = workingDirectory.resolve("shared");
        Mail mail = mailTo("queue/maildir " + shared, "", "a@x.example", "b@x.example");
        String message = unix(mail);

        maildir().service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(files(shared.resolve("new"))).hasSize(1);
        assertThat(Files.readString(files(shared.resolve("new")).get(0)))
            .isEqualTo("Return-Path: <>\nDelivered-To: a@x.example\nDelivered-To: b@x.example\n" + message);
    }

    @Test
    void theModeArgumentSetsDirectoriesAndFilesWithoutExecuteBits() throws Exception {
        Mail mail = mailTo("queue/maildir " + workingDirectory.resolve("spool") + " %u 750", "s@client.example", "a@x.example");

        maildir().service(mail);

        Path box = workingDirectory.resolve("spool/a@x.example");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(box))).isEqualTo("rwxr-x---");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files(box.resolve("new")).get(0)))).isEqualTo("rw-r-----");
    }

    @Test
    void aMaildirThatCannotBeWrittenDefersTheMailAndLeavesNoFileBehind() throws Exception {
        Path blocked = workingDirectory.resolve("blocked");
        Files.writeString(blocked, "a file where the Maildir should be");
        Mail mail = mailTo("queue/maildir " + blocked, "s@client.example", "a@x.example");

        maildir().service(mail);

        assertThat(mail.getState()).isEqualTo("deferred");
        assertThat(mail.getErrorMessage()).startsWith("4.3.0 cannot deliver to maildir " + blocked);
        assertThat(Files.readString(blocked)).isEqualTo("a file where the Maildir should be");
    }

    @Test
    void pythonsMaildirReaderReadsWhatWasWritten() throws Exception {
        assumeThat(Path.of("/usr/bin/python3")).as("python3 reads the Maildir").exists();
        Path box = workingDirectory.resolve("box");
        maildir().service(mailTo("queue/maildir " + box, "sender@client.example", "a@x.example"));
        maildir().service(mailTo("queue/maildir " + box, "other@client.example", "a@x.example"));

        Process reader = new ProcessBuilder("/usr/bin/python3", "-c",
            "import mailbox, sys\n"
                + "for key, m in sorted(mailbox.Maildir(sys.argv[1], create=False).items(), key=lambda kv: kv[1]['Return-Path']):\n"
                + "    print(m['Return-Path'], m['Delivered-To'], m['Subject'], m.get_payload().splitlines())\n",
            box.toString()).redirectErrorStream(true).start();
        String output = new String(reader.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(reader.waitFor()).as(output).isZero();
        assertThat(output.lines()).containsExactly(
            "<other@client.example> a@x.example to a maildir ['line one', 'line two']",
            "<sender@client.example> a@x.example to a maildir ['line one', 'line two']");
    }
}
