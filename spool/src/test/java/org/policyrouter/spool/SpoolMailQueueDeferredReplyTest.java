package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.server.core.MailImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.core.HeldReplies;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/** Enqueueing under the SMTP server's deferred reply: the wait, not enQueue, makes the mail durable and visible. */
class SpoolMailQueueDeferredReplyTest {
    @TempDir
    Path spool;
    SpoolMailQueueFactory factory;
    SpoolMailQueue queue;
    final BlockingQueue<MailQueue.MailQueueItem> taken = new LinkedBlockingQueue<>();
    Disposable consumer;

    @BeforeEach
    void open() throws Exception {
        factory = new SpoolMailQueueFactory(new SpoolConfiguration(spool, true), new RawMailQueueItemDecoratorFactory(),
            new RecordingMetricFactory(), new NoopGaugeRegistry());
        queue = factory.createQueue(MailQueueName.of("deferred-reply"));
        consumer = Flux.from(queue.deQueue()).subscribe(taken::add);
    }

    @AfterEach
    void close() {
        consumer.dispose();
        factory.stop();
    }

    static MailImpl mail(String subject) throws Exception {
        return MailImpl.builder().name(subject).sender("sender@client.example").addRecipient("user@routed.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject(subject).setText("body"))
            .build();
    }

    @Test
    void aMailEnqueuedUnderADeferredReplyReachesNoConsumerBeforeItsWaitHasRun() throws Exception {
        MailImpl mail = mail("held");
        HeldReplies.Held<Void> deferred = HeldReplies.during(() -> {
            try {
                queue.enQueue(mail);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return null;
        });
        // James disposes of the mail as soon as its hooks return
        mail.dispose();

        assertThat(deferred.waits()).hasSize(1);
        assertThat(taken.poll(300, TimeUnit.MILLISECONDS)).isNull();

        deferred.waits().get(0).await();
        MailQueue.MailQueueItem item = taken.poll(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(item).isNotNull();
        assertThat(item.getMail().getMessage().getSubject()).isEqualTo("held");
        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
    }

    @Test
    void withoutADeferredReplyEnqueueWaitsItselfAndTheMailIsTakenAtOnce() throws Exception {
        queue.enQueue(mail("direct"));

        MailQueue.MailQueueItem item = taken.poll(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(item).isNotNull();
        assertThat(item.getMail().getMessage().getSubject()).isEqualTo("direct");
        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
    }
}
