package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.mail.internet.MimeMessage;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.SmtpConversation;

/**
 * The spool's disk fills up (a small tmpfs mounted by the test, as root): new mail is refused with
 * 452 4.3.1 at MAIL FROM, and every mail that had got a 250 is kept — its retries that cannot be
 * written stay where they are — and delivered once there is room: none lost, none bounced.
 */
class DiskFullIT {
    static final int ACKNOWLEDGED = 30;

    @TempDir
    Path tmp;

    static boolean isRoot() throws Exception {
        Process id = new ProcessBuilder("id", "-u").start();
        return new String(id.getInputStream().readAllBytes()).trim().equals("0");
    }

    static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(String.join(" ", command) + ": " + output).isZero();
    }

    /** Writes a file until the file system is full; returns it. */
    static Path fill(Path directory) throws IOException {
        Path filler = directory.resolve("filler");
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            return filler;
        }
    }

    @Test
    void acknowledgedMailIsNeitherLostNorBouncedWhileTheDiskIsFullAndNewMailGets452() throws Exception {
        assumeTrue(isRoot(), "mounting a tmpfs needs root (CI runs as root)");
        NextHop down = NextHop.down();
        Path spool = null;
        try (EnvelopeRecordingSink senderDomain = EnvelopeRecordingSink.start();
             InstalledServer server = InstalledServer.install(tmp.resolve("james"), "down.example " + down.hostAndPort() + "\nclient.example "
                 + senderDomain.hostAndPort() + "\n")) {
            spool = server.home.resolve("var/spool");
            Files.createDirectories(spool);
            run("mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", spool.toString());
            JamesProcess.replaceIn(server.home.resolve("conf/smtpserver.xml"), "<directory>var/spool</directory>",
                "<directory>var/spool</directory>\n<minimumFree>2M</minimumFree>");
            SpoolCrashIT.retryQuickly(server);
            server.start();
            WebAdmin webAdmin = server.webAdmin();

            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < ACKNOWLEDGED; i++) {
                assertThat(server.send("user" + i + "@down.example", "kept-" + i)).as("mail %d", i).isTrue();
                acknowledged.add("user" + i + "@down.example");
            }
            Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> webAdmin.get("/spool/queues/spool/messages?state=deferred&limit=1000").size() == ACKNOWLEDGED);

            Path filler = fill(spool);
            try (SmtpConversation smtp = SmtpConversation.open(server.smtpPort, Duration.ofSeconds(30))) {
                smtp.readReply();
                smtp.command("EHLO client.example");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> smtp.command("RSET") != null
                    && smtp.command("MAIL FROM:<sender@client.example>").startsWith("452 4.3.1"));
            }
            // retries meanwhile (every 1-2 s) cannot write their next deferral: each stays where it was
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> server.log().contains("cannot defer"));
            Thread.sleep(3000);

            Files.delete(filler);
            down.up();
            webAdmin.patch("/spool/queues/spool/messages?action=flush&domain=down.example");
            List<MimeMessage> delivered = down.awaitMessages(ACKNOWLEDGED, Duration.ofSeconds(120));
            List<String> subjects = new ArrayList<>();
            for (MimeMessage message : delivered) {
                subjects.add(message.getSubject());
            }
            assertThat(subjects.stream().distinct().count()).as("every acknowledged mail delivered").isEqualTo(ACKNOWLEDGED);
            assertThat(senderDomain.received()).as("no report: nothing bounced for a local reason").isEmpty();
            Path errors = server.home.resolve("var/mail/error");
            if (Files.isDirectory(errors)) {
                try (Stream<Path> files = Files.list(errors)) {
                    assertThat(files.collect(Collectors.toList())).as("nothing in James's error repository").isEmpty();
                }
            }
        } finally {
            down.close();
            if (spool != null) {
                new ProcessBuilder("umount", "-l", spool.toString()).start().waitFor();
            }
        }
    }
}
