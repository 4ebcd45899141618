package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;
import javax.mail.util.SharedFileInputStream;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.mailets.RecipientOutcome.Status;
import org.policyrouter.policy.RelayHost;

/**
 * The QMQP client against Postfix's qmqpd: one private Postfix instance for the class (see
 * {@link PrivatePostfix}) with three QMQP listeners, whose queue shows what arrived. A Postfix
 * header_checks table makes its cleanup answer Z or D for a marked Subject. The peers that
 * misbehave (never answer, never read, answer garbage) are plain sockets of the test.
 */
class QmqpClientTest extends ClosedAfterEach {
    /** For the test's own peers, which never answer; Postfix gets more, as it starts a cleanup process on demand. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    static final Pattern QUEUED_AS = Pattern.compile("said: Ok: queued as ([0-9A-F]+)$");

    @TempDir
    static Path dir;
    static PrivatePostfix postfix;
    static RelayHost qmqpd;
    static RelayHost refusingQmqpd;
    static RelayHost smallQmqpd;
    static Path bigMessage;
    static byte[] bigMessageBodySha256;

    final QmqpClient client = open(new QmqpClient(Duration.ofSeconds(2), Duration.ofSeconds(20)));
    final QmqpClient impatient = open(new QmqpClient(Duration.ofSeconds(2), TIMEOUT));

    @BeforeAll
    static void startPostfix() throws Exception {
        int port = PrivatePostfix.freePort();
        int refusing = PrivatePostfix.freePort();
        int small = PrivatePostfix.freePort();
        Path headerChecks = Files.write(dir.resolve("header_checks"), List.of(
            "/^Subject: please defer/ REJECT 4.7.1 come back later",
            "/^Subject: please reject/ REJECT 5.7.1 not wanted here"));
        postfix = PrivatePostfix.start(dir,
            List.of("qmqpd_authorized_clients = 127.0.0.1", "message_size_limit = 50000000", "header_checks = regexp:" + headerChecks,
                // a refusal comes at once, not after qmqpd's pause against floods
                "qmqpd_error_delay = 0s",
                // without a qmgr handing out tokens, qmqpd would pause this long before each mail
                "in_flow_delay = 0s"),
            List.of("127.0.0.1:" + port + " inet n - n - - qmqpd",
                // this test is not among its clients
                "127.0.0.1:" + refusing + " inet n - n - - qmqpd -o qmqpd_authorized_clients=192.0.2.1",
                "127.0.0.1:" + small + " inet n - n - - qmqpd -o message_size_limit=1000",
                "cleanup unix n - n - 0 cleanup",
                "rewrite unix - - n - - trivial-rewrite"),
            List.of(port, refusing, small));
        qmqpd = new RelayHost("127.0.0.1", port);
        refusingQmqpd = new RelayHost("127.0.0.1", refusing);
        smallQmqpd = new RelayHost("127.0.0.1", small);
        writeBigMessage();
    }

    @AfterAll
    static void stopPostfix() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
    }


    @Test
    void postfixQueuesTheMessageWithLfLineEndsForEveryRecipient() throws Exception {
        MimeMessage message = message("Subject: hello\r\n", "first line\r\nsecond line\r\n");
        List<MailAddress> recipients = List.of(new MailAddress("one@example.com"), new MailAddress("Two@example.net"));

        RecipientOutcomes outcomes = client.deliver(List.of(qmqpd), MaybeSender.getMailSender("sender@client.test"), recipients, message);

        String queueId = assertDeliveredBy(outcomes, qmqpd);
        String envelope = postfix.postcat("-e", queueId);
        assertThat(envelope).contains("\nsender: sender@client.test\n")
            .contains("\nrecipient: one@example.com\n").contains("\nrecipient: Two@example.net\n");
        String header = postfix.postcat("-h", queueId);
        assertThat(header).contains("with QMQP").contains("\nFrom: sender@client.test\nTo: one@example.com\nSubject: hello\n")
            .doesNotContain("\r");
        // the blank line that ends the header, then the body byte for byte with LF line ends
        assertThat(postfix.postcat("-b", queueId)).isEqualTo("\nfirst line\nsecond line\n");
    }

    @Test
    void theNullSenderIsAnEmptyNetstring() throws Exception {
        RecipientOutcomes outcomes = client.deliver(List.of(qmqpd), MaybeSender.nullSender(), List.of(new MailAddress("one@example.com")),
            message("Subject: a bounce\r\n", "it bounced\r\n"));

        String queueId = assertDeliveredBy(outcomes, qmqpd);
        assertThat(postfix.postcat("-e", queueId)).contains("\nsender: \n").contains("\nrecipient: one@example.com\n");
    }

    @Test
    void zFromPostfixIsATemporaryFailureWithItsText() throws Exception {
        RecipientOutcomes outcomes = deliver(List.of(qmqpd), message("Subject: please defer\r\n", "later\r\n"));

        assertAll(outcomes, Status.TEMPORARY_FAILURE, "4.3.0 qmqp server " + qmqpd + " said: Error: 4.7.1 come back later");
    }

    @Test
    void dFromPostfixIsAPermanentFailureWithItsText() throws Exception {
        RecipientOutcomes outcomes = deliver(List.of(qmqpd), message("Subject: please reject\r\n", "no\r\n"));

        assertAll(outcomes, Status.PERMANENT_FAILURE, "5.3.0 qmqp server " + qmqpd + " said: Error: 5.7.1 not wanted here");
    }

    @Test
    void aClientQmqpdDoesNotAuthorizeIsRefusedPermanently() throws Exception {
        RecipientOutcomes outcomes = deliver(List.of(refusingQmqpd), message("Subject: hello\r\n", "hi\r\n"));

        assertAll(outcomes, Status.PERMANENT_FAILURE,
            "5.3.0 qmqp server " + refusingQmqpd + " said: Error: localhost[127.0.0.1] is not authorized to use this service");
    }

    @Test
    void aRefusalBeforeTheServerReadTheMessageStillCounts() throws Exception {
        // qmqpd answers an unauthorized client at once and closes: the 20 MB cannot all be written
        RecipientOutcomes outcomes = deliver(List.of(refusingQmqpd), bigMessage());

        assertAll(outcomes, Status.PERMANENT_FAILURE,
            "5.3.0 qmqp server " + refusingQmqpd + " said: Error: localhost[127.0.0.1] is not authorized to use this service");
    }

    @Test
    void aMessageOverQmqpdsSizeLimitIsRefusedPermanently() throws Exception {
        RecipientOutcomes outcomes = deliver(List.of(smallQmqpd), message("Subject: big\r\n", "x".repeat(2000) + "\r\n"));

        assertAll(outcomes, Status.PERMANENT_FAILURE,
            "5.3.0 qmqp server " + smallQmqpd + " said: netstring length exceeds storage limit while receiving message content");
    }

    @Test
    void aServerThatIsDownIsSkippedForTheNext() throws Exception {
        RelayHost down = new RelayHost("127.0.0.1", PrivatePostfix.freePort());

        RecipientOutcomes outcomes = deliver(List.of(down, qmqpd), message("Subject: second\r\n", "via the second\r\n"));

        String queueId = assertDeliveredBy(outcomes, qmqpd);
        assertThat(postfix.postcat("-b", queueId)).isEqualTo("\nvia the second\n");
    }

    @Test
    void whenNoServerAnswersEveryRecipientFailsTemporarilyWithEachError() throws Exception {
        RelayHost down = new RelayHost("127.0.0.1", PrivatePostfix.freePort());
        RelayHost downToo = new RelayHost("127.0.0.1", PrivatePostfix.freePort());

        RecipientOutcomes outcomes = deliver(List.of(down, downToo), message("Subject: lost\r\n", "nowhere\r\n"));

        assertAll(outcomes, Status.TEMPORARY_FAILURE, "4.4.1 no qmqp server took the message: " + down
            + ": connect: ConnectException: Connection refused; " + downToo + ": connect: ConnectException: Connection refused");
    }

    @Test
    void aServerThatNeverAnswersIsATemporaryFailureAfterTheTimeout() throws Exception {
        SilentPeer silent = open(new SilentPeer());
        long start = System.nanoTime();

        RecipientOutcomes outcomes = deliver(impatient, List.of(silent.host()), message("Subject: hello\r\n", "anyone?\r\n"));

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(TIMEOUT, TIMEOUT.plusSeconds(2));
        assertAll(outcomes, Status.TEMPORARY_FAILURE,
            "4.4.2 no qmqp server took the message: " + silent.host() + ": no reply within 2000 ms");
    }

    @Test
    void aServerThatStopsReadingIsLeftAfterTheTimeoutForTheNext() throws Exception {
        SilentPeer silent = open(new SilentPeer());
        long start = System.nanoTime();

        // 20 MB fill the socket buffers both sides: the write blocks until the watchdog breaks it
        RecipientOutcomes outcomes = deliver(impatient, List.of(silent.host(), qmqpd), bigMessage());

        assertDeliveredBy(outcomes, qmqpd);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusSeconds(15));
        assertThat(silent.accepted()).isEqualTo(1);
    }

    @Test
    void aServerThatStopsReadingIsATemporaryFailureNamingTheStuckWrite() throws Exception {
        SilentPeer silent = open(new SilentPeer());
        long start = System.nanoTime();

        RecipientOutcomes outcomes = deliver(impatient, List.of(silent.host()), bigMessage());

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusSeconds(3));
        assertAll(outcomes, Status.TEMPORARY_FAILURE,
            "4.4.2 no qmqp server took the message: " + silent.host() + ": the server took no data for 2000 ms");
    }

    @Test
    void malformedRepliesAreTemporaryFailuresNamingTheProblem() throws Exception {
        assertReplyGives("HTTP/1.0 400 Bad Request\r\n\r\n", "4.5.0", "malformed reply: not a netstring (H in its length)");
        assertReplyGives("13:Xwhat is this,", "4.5.0", "malformed reply: unknown status 'X' (K, Z or D expected)");
        assertReplyGives("1001:K" + "x".repeat(1000) + ",", "4.5.0", "malformed reply: longer than 1000 bytes");
        assertReplyGives("0:,", "4.5.0", "malformed reply: empty");
        assertReplyGives("3:Kok;", "4.5.0", "malformed reply: not a netstring (no comma after 3 bytes)");
        assertReplyGives("30:Kok", "4.4.2", "connection closed in the middle of the reply");
        assertReplyGives("", "4.4.2", "connection closed without a reply");
    }

    @Test
    void aMalformedReplyIsLeftForTheNextServer() throws Exception {
        ScriptedPeer garbage = open(new ScriptedPeer("5:Xabcd,"));

        RecipientOutcomes outcomes = deliver(List.of(garbage.host(), qmqpd), message("Subject: hello\r\n", "again\r\n"));

        assertDeliveredBy(outcomes, qmqpd);
        assertThat(garbage.requests()).hasSize(1);
    }

    @Test
    void theRequestIsOneNetstringOfNetstrings() throws Exception {
        ScriptedPeer peer = open(new ScriptedPeer("6:Kthanx,"));

        RecipientOutcomes outcomes = client.deliver(List.of(peer.host()), MaybeSender.nullSender(),
            List.of(new MailAddress("a@b.test"), new MailAddress("c@d.test")), message("Subject: s\r\n", "b\r\n"));

        assertAll(outcomes, Status.DELIVERED, "2.0.0 qmqp server " + peer.host() + " said: thanx");
        String expectedMessage = "From: sender@client.test\nTo: one@example.com\nSubject: s\nMessage-ID: <1@client.test>\n"
            + "Date: Tue, 1 Dec 2026 10:00:00 +0000\n\nb\n";
        String content = expectedMessage.length() + ":" + expectedMessage + ",0:,8:a@b.test,8:c@d.test,";
        assertThat(peer.requests()).containsExactly(content.length() + ":" + content + ",");
    }

    /**
     * The 20 MB message, from a file (as James's spool hands it out), reaches Postfix whole, and
     * sending it allocates on the sending thread a small part of its size: a client that held the
     * message (or its LF-converted copy) would allocate at least the 20 MB. Counting the thread's
     * allocations, not the heap, keeps other threads and the garbage collector's timing out of it.
     */
    @Test
    void aTwentyMegabyteMessageIsStreamedWhole() throws Exception {
        MimeMessage message = bigMessage();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());

        RecipientOutcomes outcomes = deliver(List.of(qmqpd), message);

        long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        String queueId = assertDeliveredBy(outcomes, qmqpd);
        assertThat(allocated).as("bytes allocated while sending 20 MB").isLessThan(4L * 1024 * 1024);
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        try (InputStream body = postfix.postcatStream("-b", queueId)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n = body.read(buffer); n >= 0; n = body.read(buffer)) {
                sha256.update(buffer, 0, n);
            }
        }
        assertThat(sha256.digest()).as("SHA-256 of the queued body").isEqualTo(bigMessageBodySha256);
    }

    RecipientOutcomes deliver(List<RelayHost> servers, MimeMessage message) throws Exception {
        return deliver(client, servers, message);
    }

    RecipientOutcomes deliver(QmqpClient client, List<RelayHost> servers, MimeMessage message) throws Exception {
        return client.deliver(servers, MaybeSender.getMailSender("sender@client.test"), List.of(new MailAddress("one@example.com")), message);
    }

    void assertReplyGives(String reply, String status, String problem) throws Exception {
        try (ScriptedPeer peer = new ScriptedPeer(reply)) {
            RecipientOutcomes outcomes = deliver(impatient, List.of(peer.host()), message("Subject: s\r\n", "b\r\n"));
            assertAll(outcomes, Status.TEMPORARY_FAILURE, status + " no qmqp server took the message: " + peer.host() + ": " + problem);
        }
    }

    /** The queue ID qmqpd gave. */
    String assertDeliveredBy(RecipientOutcomes outcomes, RelayHost server) throws IOException {
        assertThat(outcomes.size()).isPositive();
        List<String> queueIds = new ArrayList<>();
        outcomes.forEach((recipient, outcome) -> {
            assertThat(outcome.status()).as(recipient + ": " + outcome).isEqualTo(Status.DELIVERED);
            assertThat(outcome.reply()).startsWith("2.0.0 qmqp server " + server + " said: Ok: queued as ");
            Matcher queued = QUEUED_AS.matcher(outcome.reply());
            assertThat(queued.find()).isTrue();
            queueIds.add(queued.group(1));
        });
        assertThat(queueIds).as(postfix.log()).containsOnly(queueIds.get(0));
        return queueIds.get(0);
    }

    static void assertAll(RecipientOutcomes outcomes, Status status, String reply) {
        assertThat(outcomes.size()).isPositive();
        outcomes.forEach((recipient, outcome) -> {
            assertThat(outcome.status()).as(recipient + ": " + outcome).isEqualTo(status);
            assertThat(outcome.reply()).isEqualTo(reply);
        });
    }

    /** A message as James stores it, CRLF line ends. */
    static MimeMessage message(String extraHeader, String body) throws Exception {
        String text = "From: sender@client.test\r\nTo: one@example.com\r\n" + extraHeader
            + "Message-ID: <1@client.test>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\n" + body;
        return new MimeMessage(Session.getInstance(new Properties()), new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
    }

    /** Backed by the file: JavaMail parses the header and leaves the body where it is. */
    static MimeMessage bigMessage() throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()), new SharedFileInputStream(bigMessage.toFile()));
    }

    /** 20 MB of numbered lines with CRLF ends; the SHA-256 of the body as postcat should print it, LF ends. */
    static void writeBigMessage() throws Exception {
        bigMessage = dir.resolve("big.eml");
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(bigMessage))) {
            out.write(("From: sender@client.test\r\nTo: one@example.com\r\nSubject: big\r\nMessage-ID: <big@client.test>\r\n"
                + "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            sha256.update((byte) '\n');
            for (int i = 0; i < 20 * 1024 * 1024 / 78; i++) {
                String line = String.format("%08d %s", i, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_=+!");
                out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
                sha256.update((line + "\n").getBytes(StandardCharsets.US_ASCII));
            }
        }
        bigMessageBodySha256 = sha256.digest();
    }

    /** Accepts connections and neither reads nor answers. */
    static final class SilentPeer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final List<Socket> held = new CopyOnWriteArrayList<>();
        private final Thread acceptor = new Thread(this::accept, "silent-qmqp-peer");

        SilentPeer() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void accept() {
            try {
                while (true) {
                    held.add(server.accept());
                }
            } catch (IOException e) {
                // closed
            }
        }

        RelayHost host() {
            return new RelayHost("127.0.0.1", server.getLocalPort());
        }

        int accepted() {
            return held.size();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    /** Reads one request netstring whole, answers the given bytes and closes. */
    static final class ScriptedPeer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final byte[] reply;
        private final List<String> requests = new CopyOnWriteArrayList<>();
        private final Thread acceptor = new Thread(this::serve, "scripted-qmqp-peer");

        ScriptedPeer(String reply) throws IOException {
            this.reply = reply.getBytes(StandardCharsets.ISO_8859_1);
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void serve() {
            while (true) {
                try (Socket socket = server.accept()) {
                    InputStream in = socket.getInputStream();
                    StringBuilder length = new StringBuilder();
                    for (int c = in.read(); c != ':' && c >= 0; c = in.read()) {
                        length.append((char) c);
                    }
                    byte[] rest = in.readNBytes(Integer.parseInt(length.toString()) + 1);
                    requests.add(length + ":" + new String(rest, StandardCharsets.ISO_8859_1));
                    socket.getOutputStream().write(reply);
                    socket.getOutputStream().flush();
                } catch (IOException | RuntimeException e) {
                    if (server.isClosed()) {
                        return;
                    }
                }
            }
        }

        RelayHost host() {
            return new RelayHost("127.0.0.1", server.getLocalPort());
        }

        List<String> requests() {
            return requests;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
