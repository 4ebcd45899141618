package org.policyrouter.spool;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
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
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * Bytes written to disk per deferral of a 100 KB message (target: under 4 KB): the message is
 * accepted once, then deferred and retried {@value #DEFERRALS} times the way the Defer mailet does
 * (a delayed enqueue of the mail, then done), with fsync on. Counted by the kernel for this process
 * ({@code /proc/self/io}): {@code wchar}, the bytes handed to write(2), and {@code write_bytes}, what
 * reached the block layer (the file system's own journal and metadata included). Run it with
 * {@code mvn -B -o test -pl spool -am -Dtest=SpoolDeferralBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class SpoolDeferralBenchmark {
    static final int DEFERRALS = Integer.getInteger("benchmark.deferrals", 500);
    static final int MESSAGE_BYTES = 100 * 1024;

    @Test
    void bytesWrittenPerDeferralOfAHundredKilobyteMessage() throws Exception {
        Path root = Files.createTempDirectory("deferral-benchmark");
        SpoolMailQueueFactory factory = new SpoolMailQueueFactory(new SpoolConfiguration(root, true), new RawMailQueueItemDecoratorFactory(),
            new RecordingMetricFactory(), new NoopGaugeRegistry());
        SpoolMailQueue queue = factory.createQueue(MailQueueName.of("spool"));
        BlockingQueue<MailQueue.MailQueueItem> taken = new LinkedBlockingQueue<>();
        Disposable consumer = Flux.from(queue.deQueue()).subscribe(taken::add);
        try {
            MailImpl accepted = MailImpl.builder().name("benchmark").sender("sender@client.example").addRecipient("user@routed.example").build();
            accepted.setMessageContent(MimeMessageInputStreamSource.create("benchmark", new ByteArrayInputStream(SpoolStoreTest.sized(MESSAGE_BYTES))));
            Map<String, Long> beforeAcceptance = io();
            queue.enQueue(accepted);
            LifecycleUtil.dispose(accepted);
            MailQueue.MailQueueItem item = take(taken);
            Map<String, Long> before = io();
            long started = System.nanoTime();
            for (int i = 0; i < DEFERRALS; i++) {
                Mail mail = item.getMail();
                mail.setState("transport");
                queue.enQueue(mail, Duration.ofHours(1));
                item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
                queue.flush();
                item = take(taken);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            Map<String, Long> after = io();
            item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);

            System.out.printf(Locale.ROOT, "acceptance of one %d-byte message: wchar %d bytes, write_bytes %d bytes%n", MESSAGE_BYTES,
                before.get("wchar") - beforeAcceptance.get("wchar"), before.get("write_bytes") - beforeAcceptance.get("write_bytes"));
            System.out.printf(Locale.ROOT, "%d deferrals (delayed enqueue + done + flush + retry), %.0f per second%n", DEFERRALS, DEFERRALS / seconds);
            System.out.printf(Locale.ROOT, "per deferral: wchar %.0f bytes (written by the process), write_bytes %.0f bytes (reaching the disk, file-system journal included)%n",
                (after.get("wchar") - before.get("wchar")) / (double) DEFERRALS, (after.get("write_bytes") - before.get("write_bytes")) / (double) DEFERRALS);
            System.out.printf(Locale.ROOT, "spool files now: %s%n", sizes(root));
        } finally {
            consumer.dispose();
            factory.stop();
        }
    }

    private static MailQueue.MailQueueItem take(BlockingQueue<MailQueue.MailQueueItem> taken) throws InterruptedException {
        MailQueue.MailQueueItem item = taken.poll(10, TimeUnit.SECONDS);
        if (item == null) {
            throw new IllegalStateException("the deferred mail did not come back");
        }
        return item;
    }

    /** This process's I/O counters. */
    static Map<String, Long> io() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/io"))) {
            return lines.map(line -> line.split(":\\s*")).collect(Collectors.toMap(parts -> parts[0], parts -> Long.parseLong(parts[1].trim())));
        }
    }

    private static String sizes(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                .map(file -> root.relativize(file) + "=" + file.toFile().length())
                .sorted()
                .collect(Collectors.joining(", "));
        }
    }
}
