package org.policyrouter.spool.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.memory.MemoryMailQueueFactory;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;
import org.policyrouter.spool.SpoolConfiguration;
import org.policyrouter.spool.SpoolMailQueueFactory;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Enqueue (10 threads, each enqueue durable before it returns, like an SMTP 250) and dequeue +
 * done of 5 KB mails: the spool queue against James's memory queue. Run it with
 * {@code mvn -o -pl mailets -am test -Dtest=SpoolQueueBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class SpoolQueueBenchmark {
    static final int THREADS = 10;

    @Test
    void enqueueAndDequeueOfFiveKilobyteMails() throws Exception {
        List<Mail> mails = SpoolRepositoryBenchmark.fiveKilobyteMails();
        Path work = Files.createTempDirectory("queue-benchmark");
        double[] spool = new double[2];
        double[] memory = new double[2];
        for (int round = 0; round < SpoolRepositoryBenchmark.ROUNDS; round++) {
            SpoolMailQueueFactory spoolFactory = new SpoolMailQueueFactory(new SpoolConfiguration(work.resolve("round-" + round), true),
                new RawMailQueueItemDecoratorFactory(), new RecordingMetricFactory(), new NoopGaugeRegistry());
            SpoolRepositoryBenchmark.max(spool, run(spoolFactory.createQueue(MailQueueName.of("spool")), mails));
            spoolFactory.stop();
            MemoryMailQueueFactory memoryFactory = new MemoryMailQueueFactory(new RawMailQueueItemDecoratorFactory());
            SpoolRepositoryBenchmark.max(memory, run(memoryFactory.createQueue(MailQueueName.of("spool")), mails));
        }
        System.out.printf(Locale.ROOT, "%d mails, %d enqueuing threads, best of %d rounds (mails/s)%n", mails.size(), THREADS, SpoolRepositoryBenchmark.ROUNDS);
        System.out.printf(Locale.ROOT, "%-28s %10s %16s%n", "queue", "enqueue", "dequeue + done");
        System.out.printf(Locale.ROOT, "%-28s %10.0f %16.0f%n", "spool (fsync, group commit)", spool[0], spool[1]);
        System.out.printf(Locale.ROOT, "%-28s %10.0f %16.0f%n", "James memory queue", memory[0], memory[1]);
    }

    static double[] run(MailQueue queue, List<Mail> mails) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        for (int t = 0; t < THREADS; t++) {
            pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < mails.size(); i = next.getAndIncrement()) {
                    queue.enQueue(mails.get(i));
                }
                return null;
            });
        }
        pool.shutdown();
        pool.awaitTermination(10, java.util.concurrent.TimeUnit.MINUTES);
        double enqueue = mails.size() / ((System.nanoTime() - start) / 1e9);

        AtomicInteger done = new AtomicInteger();
        start = System.nanoTime();
        var subscription = Flux.from(queue.deQueue())
            .flatMap(item -> Mono.fromCallable(() -> {
                item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
                return done.incrementAndGet();
            }).subscribeOn(Schedulers.boundedElastic()), THREADS)
            .subscribe();
        while (done.get() < mails.size()) {
            Thread.sleep(1);
        }
        double dequeue = mails.size() / ((System.nanoTime() - start) / 1e9);
        subscription.dispose();
        Thread.sleep(Duration.ofMillis(100).toMillis());
        return new double[] {enqueue, dequeue};
    }
}
