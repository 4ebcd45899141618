package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Mail;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * What the spool writes to disk and keeps across restarts: a body is written once and shared by a
 * message's copies and deferrals, held mail stays held, bytes stay as received, one process per spool.
 */
class SpoolStoreTest {
    /** No Date, Message-ID or MIME-Version; an 8-bit header; a folded header with odd white space. */
    static final byte[] RAW = ("Received: from client.example by james-policy-router; 2 Dec 2026 05:00:00 +0000\r\n"
        + "From: sender@client.example\r\n"
        + "Subject: caf\u00e9 \u00e0 la cr\u00e8me\r\n"
        + "X-Folded: first\r\n \t  second\r\n\tthird  \r\n"
        + "\r\n"
        + "body with 8-bit \u00fc\u00f6\u00e4 bytes\r\n.leading dot\r\n").getBytes(StandardCharsets.ISO_8859_1);

    @TempDir
    Path root;
    SpoolMailQueueFactory factory;
    SpoolMailQueue queue;
    Disposable consumer;
    final BlockingQueue<MailQueue.MailQueueItem> taken = new LinkedBlockingQueue<>();

    @AfterEach
    void stop() {
        close();
    }

    void open(long segmentBytes, Duration relocationDelay) throws IOException {
        factory = new SpoolMailQueueFactory(new SpoolConfiguration(root, true, segmentBytes, relocationDelay),
            new RawMailQueueItemDecoratorFactory(), new RecordingMetricFactory(), new NoopGaugeRegistry());
        queue = factory.createQueue(MailQueueName.of("spool"));
        consumer = Flux.from(queue.deQueue()).subscribe(taken::add);
    }

    void open() throws IOException {
        open(SpoolConfiguration.JOURNAL_SEGMENT_BYTES, Duration.ofMinutes(1));
    }

    void close() {
        if (consumer != null) {
            consumer.dispose();
            consumer = null;
        }
        if (factory != null) {
            factory.stop();
            factory = null;
        }
    }

    void restart() throws IOException {
        close();
        taken.clear();
        open();
    }

    /** A mail as James's SMTP server makes it: the received bytes in a MimeMessageInputStreamSource. */
    static MailImpl received(String name, byte[] raw) throws Exception {
        MailImpl mail = MailImpl.builder().name(name).sender("sender@client.example").addRecipient("user@routed.example").build();
        mail.setMessageContent(MimeMessageInputStreamSource.create(name, new ByteArrayInputStream(raw)));
        return mail;
    }

    static byte[] sized(int bytes) {
        StringBuilder message = new StringBuilder("Subject: big\r\n\r\n");
        while (message.length() < bytes) {
            message.append("x".repeat(76)).append("\r\n");
        }
        return message.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Enqueues and disposes of the mail, as James's SMTP server does once its hooks returned. */
    void accept(MailImpl mail, Duration delay) throws Exception {
        try {
            queue.enQueue(mail, delay);
        } finally {
            LifecycleUtil.dispose(mail);
        }
    }

    void accept(MailImpl mail) throws Exception {
        accept(mail, Duration.ZERO);
    }

    MailQueue.MailQueueItem take() throws InterruptedException {
        MailQueue.MailQueueItem item = taken.poll(10, TimeUnit.SECONDS);
        assertThat(item).as("a mail handed out").isNotNull();
        return item;
    }

    static byte[] bytesOf(Mail mail) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageBytes.writeTo(mail.getMessage(), out);
        return out.toByteArray();
    }

    List<String> files(String directory) throws IOException {
        Path path = root.resolve(directory);
        if (!Files.isDirectory(path)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(path)) {
            return files.map(file -> file.getFileName().toString()).filter(name -> !name.startsWith(".")).sorted().collect(Collectors.toList());
        }
    }

    long sizeOf(String directory, String name) throws IOException {
        return Files.size(root.resolve(directory).resolve(name));
    }

    /** Consumes a mail the way Defer does: a delayed enqueue of the same mail, then done. */
    void defer(MailQueue.MailQueueItem item, Duration delay) throws Exception {
        Mail mail = item.getMail();
        mail.setState("transport");
        queue.enQueue(mail, delay);
        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
    }

    @Test
    void aDeferralWritesAnEnvelopeOnlyAndALargeBodyStaysTheOneFileWrittenAtAcceptance() throws Exception {
        open();
        accept(received("m1", sized(100 * 1024)));
        MailQueue.MailQueueItem first = take();
        assertThat(files("bodies")).hasSize(1);
        long bodySize = sizeOf("bodies", files("bodies").get(0));

        defer(first, Duration.ofHours(1));
        for (int attempt = 2; attempt <= 3; attempt++) {
            queue.flush();
            defer(take(), Duration.ofHours(1));
        }

        assertThat(files("bodies")).hasSize(1);
        assertThat(sizeOf("bodies", files("bodies").get(0))).isEqualTo(bodySize);
        assertThat(files("deferred")).hasSize(1);
        assertThat(sizeOf("deferred", files("deferred").get(0))).isLessThan(4096);
    }

    @Test
    void aSmallBodyIsWrittenOnceInTheJournalAndADeferredMailWaitsAsAnEnvelopeReferringToIt() throws Exception {
        open();
        accept(received("m1", RAW));
        defer(take(), Duration.ofHours(1));

        assertThat(files("bodies")).isEmpty();
        assertThat(files("deferred")).hasSize(1);
        String envelope = Files.readString(root.resolve("deferred").resolve(files("deferred").get(0)), StandardCharsets.ISO_8859_1);
        assertThat(envelope).contains("\"body\":").doesNotContain("leading dot");

        restart();
        assertThat(taken.poll(300, TimeUnit.MILLISECONDS)).as("still deferred after a restart").isNull();
        queue.flush();
        assertThat(bytesOf(take().getMail())).isEqualTo(RAW);
    }

    @Test
    void copiesOfAMessageShareItsBodyAndTheBodyGoesWithItsLastEnvelope() throws Exception {
        open();
        accept(received("Q", sized(100 * 1024)));
        MailQueue.MailQueueItem original = take();
        Mail copy = MailCopies.duplicate(original.getMail(), "Q.2");
        queue.enQueue(copy);
        LifecycleUtil.dispose(copy);
        original.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        assertThat(files("bodies")).as("one body for both").hasSize(1);

        MailQueue.MailQueueItem second = take();
        assertThat(second.getMail().getName()).isEqualTo("Q.2");
        assertThat(bytesOf(second.getMail())).isEqualTo(sized(100 * 1024));
        second.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);

        assertThat(files("bodies")).isEmpty();
    }

    @Test
    void theDeferredQueueCountsTheMailsWaitingForALaterAttempt() throws Exception {
        open();
        accept(received("due", RAW));
        accept(received("later", RAW), Duration.ofHours(1));
        take().done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);

        assertThat(factory.deferredSize()).isEqualTo(1);
        queue.flush();
        take().done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        assertThat(factory.deferredSize()).isZero();
    }

    @Test
    void theBytesAsReceivedSurviveDeferralsCopiesHeaderTouchesAndRestarts() throws Exception {
        open();
        accept(received("Q", RAW));
        MailQueue.MailQueueItem item = take();
        // James's RemoveMimeHeader marks the headers changed even when there was nothing to remove
        item.getMail().getMessage().removeHeader("Bcc");
        Mail copy = item.getMail().duplicate();
        copy.setName("Q.1");
        queue.enQueue(copy, Duration.ofHours(1));
        LifecycleUtil.dispose(copy);
        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);

        restart();
        queue.flush();
        Mail retried = take().getMail();

        assertThat(bytesOf(retried)).isEqualTo(RAW);
        ByteArrayOutputStream viaJavaMail = new ByteArrayOutputStream();
        retried.getMessage().writeTo(viaJavaMail);
        assertThat(viaJavaMail.toByteArray()).as("what a DSN attaches or a repository stores").isEqualTo(RAW);
        assertThat(retried.getMessage().getHeader("Date")).isNull();
        assertThat(retried.getMessage().getHeader("Message-ID")).isNull();
    }

    @Test
    void aChangedHeaderIsWrittenAsChangedWithTheBodyAsReceived() throws Exception {
        open();
        accept(received("Q", RAW));
        Mail mail = take().getMail();
        mail.getMessage().setHeader("X-Added", "yes");

        String written = new String(bytesOf(mail), StandardCharsets.ISO_8859_1);

        assertThat(written).contains("X-Added: yes\r\n", "Subject: caf\u00e9 \u00e0 la cr\u00e8me\r\n")
            .endsWith("\r\n\r\nbody with 8-bit \u00fc\u00f6\u00e4 bytes\r\n.leading dot\r\n")
            .doesNotContain("Message-ID", "MIME-Version");
    }

    @Test
    void aHeldMailIsNeverHandedOutUntilReleasedAndStaysHeldAcrossARestart() throws Exception {
        open();
        consumer.dispose();
        accept(received("Q", RAW));
        assertThat(queue.hold(mail -> mail.name.equals("Q"))).isEqualTo(1);
        consumer = Flux.from(queue.deQueue()).subscribe(taken::add);
        queue.flush();
        assertThat(taken.poll(300, TimeUnit.MILLISECONDS)).isNull();

        restart();
        queue.flush();
        assertThat(taken.poll(300, TimeUnit.MILLISECONDS)).as("held across a restart").isNull();
        assertThat(queue.list(mail -> true)).extracting(listed -> listed.state).containsExactly(SpoolMailQueue.Listed.State.HELD);

        assertThat(queue.release(mail -> true)).isEqualTo(1);
        assertThat(bytesOf(take().getMail())).isEqualTo(RAW);
    }

    @Test
    void aFlushIsARequestToTryNowAndARestartRestoresTheStoredSchedule() throws Exception {
        open();
        accept(received("Q", RAW), Duration.ofHours(1));
        close();
        open();

        assertThat(queue.list(mail -> true)).extracting(listed -> listed.state).containsExactly(SpoolMailQueue.Listed.State.DEFERRED);
        assertThat(queue.flush(mail -> mail.name.equals("Q"))).isEqualTo(1);
        assertThat(take().getMail().getName()).isEqualTo("Q");
    }

    @Test
    void aSecondOpeningOfTheSameSpoolIsRefusedAndNamesTheProcessHoldingIt() throws Exception {
        open();

        assertThatThrownBy(() -> new SpoolMailQueueFactory(new SpoolConfiguration(root, true), new RawMailQueueItemDecoratorFactory(),
            new RecordingMetricFactory(), new NoopGaugeRegistry()))
            .isInstanceOf(SpoolLockedException.class)
            .hasMessageContaining(String.valueOf(ProcessHandle.current().pid()));
        assertThat(Files.readString(root.resolve("lock")).trim()).isEqualTo(String.valueOf(ProcessHandle.current().pid()));
    }

    @Test
    void bodiesOfDeferredMailLeaveAFinishedJournalSegmentSoItCanBeReused() throws Exception {
        open(8 * 1024, Duration.ZERO);
        accept(received("deferred", RAW));
        defer(take(), Duration.ofHours(1));
        for (int i = 0; i < 20; i++) {
            accept(received("m" + i, RAW));
            take().done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        }

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> files("bodies").size() == 1);
        restart();
        queue.flush();
        Mail mail = take().getMail();
        assertThat(mail.getName()).isEqualTo("deferred");
        assertThat(bytesOf(mail)).isEqualTo(RAW);
    }

    @Test
    void aMailAMailetKeepsForARetryAfterALocalFailureStaysWhereItIsAndComesBackAfterTheDelay() throws Exception {
        open();
        accept(received("Q", RAW));
        MailQueue.MailQueueItem item = take();
        SpoolAttributes.keepForRetry(item.getMail(), Duration.ofMillis(700));
        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);

        assertThat(taken.poll(300, TimeUnit.MILLISECONDS)).as("not before its delay").isNull();
        Mail again = take().getMail();
        assertThat(again.getName()).isEqualTo("Q");
        assertThat(bytesOf(again)).isEqualTo(RAW);
        assertThat(again.getAttribute(SpoolAttributes.RETRY_LOCALLY)).as("the request is not kept").isEmpty();
    }

    @Test
    void aMailJamesSpoolerRejectsIsKeptAndTriedAgainNotDropped() throws Exception {
        open();
        accept(received("Q", RAW));
        take().done(MailQueue.MailQueueItem.CompletionStatus.REJECT);

        restart();
        assertThat(take().getMail().getName()).as("still on disk after a restart").isEqualTo("Q");
    }

    @Test
    void aMailNamedByItsQueueIdKeepsItAndANewMailGetsItsRecordIdAsQueueId() throws Exception {
        open();
        MailImpl accepted = received("1A2B3C4D5E6F7A8B9C0D1", RAW);
        accepted.setAttribute(new org.apache.mailet.Attribute(SpoolAttributes.QUEUE_ID, org.apache.mailet.AttributeValue.of("1A2B3C4D5E6F7A8B9C0D1")));
        accept(accepted);
        accept(received("a-report", RAW));

        Mail first = take().getMail();
        Mail second = take().getMail();

        assertThat(SpoolAttributes.queueId(first)).isEqualTo("1A2B3C4D5E6F7A8B9C0D1");
        assertThat(SpoolAttributes.queueId(second)).matches("[0-9A-F]{21}").isNotEqualTo("a-report");
        assertThat(second.getName()).isEqualTo("a-report");
        assertThat(second.getMessage()).isInstanceOf(MimeMessageWrapper.class);
    }
}
