package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.mailets.PrivatePostfix;

/**
 * Memory per message is bounded whatever its size: ten 200 MB messages sent in parallel into the
 * bundled server running with a 256 MB heap are all accepted, stored, read back from disk and
 * delivered byte for byte. The shipped size limit is announced (SIZE) and enforced (552).
 */
class LargeMessagesIT {
    static final int MESSAGES = 10;
    static final long MESSAGE_BYTES = 200L * 1024 * 1024;
    static final byte[] LINE_PADDING = "x".repeat(60).getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;

    /** Streams one message of about {@code bytes} bytes; returns the SHA-256 of what was sent, or throws. */
    static String send(int port, String recipient, long bytes, int n) throws Exception {
        return send(port, recipient, bytes, n, false);
    }

    /**
     * @param bodyAsQmailStoresIt the SHA-256 of the body with LF line ends, as postcat -b prints it
     *                            (after the empty line that ends the headers), instead of the bytes sent
     */
    static String send(int port, String recipient, long bytes, int n, boolean bodyAsQmailStoresIt) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.open(port, Duration.ofMinutes(5))) {
            assertThat(smtp.readReply()).startsWith("220");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example> SIZE=" + bytes)).startsWith("250");
            assertThat(smtp.command("RCPT TO:<" + recipient + ">")).startsWith("250");
            assertThat(smtp.command("DATA")).startsWith("354");
            MessageDigest digest = HashingSmtpSink.sha256();
            OutputStream out = new BufferedOutputStream(smtp.output(), 1 << 16);
            byte[] header = ("From: sender@client.example\r\nSubject: large " + n + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            out.write(header);
            digest.update(bodyAsQmailStoresIt ? new byte[] {'\n'} : header);
            long written = header.length;
            for (long line = 0; written < bytes; line++) {
                byte[] text = (line + " ").getBytes(StandardCharsets.US_ASCII);
                out.write(text);
                out.write(LINE_PADDING);
                out.write('\r');
                out.write('\n');
                digest.update(text);
                digest.update(LINE_PADDING);
                digest.update(bodyAsQmailStoresIt ? new byte[] {'\n'} : new byte[] {'\r', '\n'});
                written += text.length + LINE_PADDING.length + 2;
            }
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String reply = smtp.readReply();
            assertThat(reply).as("reply to the end of data of message %d", n).startsWith("250");
            return HashingSmtpSink.hex(digest.digest());
        }
    }

    @Test
    void tenMessagesOf200MegabytesInParallelPassAServerWithA256MegabyteHeapByteForByte() throws Exception {
        try (HashingSmtpSink sink = HashingSmtpSink.start();
             InstalledServer server = InstalledServer.install(tmp.resolve("james"), "large.example " + sink.hostAndPort() + "\n")
                 .withJavaOptions("-Xmx256m")) {
            // the shipped limit is 10 MB; an operator who takes larger mail raises it
            JamesProcess.replaceIn(server.home.resolve("conf/smtpserver.xml"), "<maxmessagesize>10240</maxmessagesize>",
                "<maxmessagesize>300000</maxmessagesize>");
            server.start();
            ExecutorService clients = Executors.newFixedThreadPool(MESSAGES);
            List<Future<String>> sent = new ArrayList<>();
            for (int n = 0; n < MESSAGES; n++) {
                int number = n;
                sent.add(clients.submit(() -> send(server.smtpPort, "user" + number + "@large.example", MESSAGE_BYTES, number)));
            }
            List<String> hashes = new ArrayList<>();
            try {
                for (Future<String> message : sent) {
                    hashes.add(message.get(20, TimeUnit.MINUTES));
                }
            } catch (Exception e) {
                throw new AssertionError("sending failed; the server said:\n" + server.tail(), e);
            }
            clients.shutdown();

            Awaitility.await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1)).until(() -> sink.received().size() >= MESSAGES);
            assertThat(sink.received().stream().map(message -> message.sha256).collect(Collectors.toList()))
                .containsExactlyInAnyOrderElementsOf(hashes);
            assertThat(sink.received()).allMatch(message -> message.size >= MESSAGE_BYTES);
            assertThat(server.log()).doesNotContain("OutOfMemoryError");
        }
    }

    /**
     * Issue 15: {@code queue/qmqp-forward} streams: the QMQP netstring announces the message's
     * length, counted in a first pass, and the second pass sends it, so three 100 MB messages at
     * once pass a 256 MB heap into a real Postfix qmqpd, whose queue holds each body, with LF line
     * ends, byte for byte.
     */
    @Test
    void threeMessagesOf100MegabytesThroughQmqpPassAServerWithA256MegabyteHeap() throws Exception {
        int qmqpd = PrivatePostfix.freePort();
        int count = 3;
        // Postfix's daemons run as the postfix user: they must get through JUnit's private folder
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        long bytes = 100L * 1024 * 1024;
        try (PrivatePostfix postfix = PrivatePostfix.start(Files.createDirectories(tmp.resolve("postfix")),
                 List.of("qmqpd_authorized_clients = 127.0.0.1", "qmqpd_error_delay = 0s", "in_flow_delay = 0s", "message_size_limit = 0"),
                 List.of("127.0.0.1:" + qmqpd + " inet n - n - - qmqpd", "cleanup unix n - n - 0 cleanup", "rewrite unix - - n - - trivial-rewrite"),
                 List.of(qmqpd));
             InstalledServer server = InstalledServer.install(tmp.resolve("james"), "large.example queue/qmqp-forward 127.0.0.1:" + qmqpd + "\n")
                 .withJavaOptions("-Xmx256m")) {
            JamesProcess.replaceIn(server.home.resolve("conf/smtpserver.xml"), "<maxmessagesize>10240</maxmessagesize>",
                "<maxmessagesize>300000</maxmessagesize>");
            server.start();
            ExecutorService clients = Executors.newFixedThreadPool(count);
            List<Future<String>> sent = new ArrayList<>();
            for (int n = 0; n < count; n++) {
                int number = n;
                sent.add(clients.submit(() -> send(server.smtpPort, "user" + number + "@large.example", bytes, number, true)));
            }
            List<String> bodies = new ArrayList<>();
            for (Future<String> message : sent) {
                bodies.add(message.get(20, TimeUnit.MINUTES));
            }
            clients.shutdown();

            // qmqpd's K comes once its queue file is complete: then the server logs status=sent
            Awaitility.await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1))
                .until(() -> server.log().split("status=sent", -1).length - 1 == count);
            assertThat(postfix.incoming()).hasSize(count);
            List<String> queued = new ArrayList<>();
            for (String queueId : postfix.incoming()) {
                MessageDigest digest = HashingSmtpSink.sha256();
                try (InputStream body = postfix.postcatStream("-b", queueId)) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n = body.read(buffer); n >= 0; n = body.read(buffer)) {
                        digest.update(buffer, 0, n);
                    }
                }
                queued.add(HashingSmtpSink.hex(digest.digest()));
            }
            assertThat(queued).containsExactlyInAnyOrderElementsOf(bodies);
            assertThat(server.log()).doesNotContain("OutOfMemoryError");
        }
    }

    @Test
    void theShippedSizeLimitIsAnnouncedAndAMessageOverItIsRefusedWith552() throws Exception {
        try (HashingSmtpSink sink = HashingSmtpSink.start();
             InstalledServer server = InstalledServer.install(tmp.resolve("james"), "large.example " + sink.hostAndPort() + "\n")) {
            server.start();
            try (SmtpConversation smtp = SmtpConversation.open(server.smtpPort, Duration.ofSeconds(60))) {
                smtp.readReply();
                assertThat(smtp.command("EHLO client.example")).contains("SIZE 10485760");
                assertThat(smtp.command("MAIL FROM:<sender@client.example> SIZE=20000000")).startsWith("552");
            }
            assertThat(catchThrowableOf(() -> send(server.smtpPort, "user@large.example", 11L * 1024 * 1024, 0)))
                .hasMessageContaining("552");
            assertThat(sink.received()).isEmpty();
        }
    }

    static Throwable catchThrowableOf(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        return org.assertj.core.api.Assertions.catchThrowable(call);
    }
}
