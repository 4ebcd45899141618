package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.mail.MessagingException;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.memory.MemoryMailQueueFactory;
import org.apache.james.queue.rabbitmq.RabbitMQMailQueue;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.policyrouter.spool.SpoolAttributes;

/**
 * Defer against James's own memory queue (the stock memory app's queue): a deferral is a delayed
 * enqueue of the mail itself, in the state it is retried in.
 */
class DeferTest {
    static final Instant NOW = Instant.parse("2026-11-21T10:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    MemoryMailQueueFactory queues;
    RecordingMailetContext context;
    RecordingMetricFactory metrics;
    Defer defer;

    @BeforeEach
    void setUp() {
        // the queue's clock is the mailet's: a delayed mail's next delivery is NOW + its delay
        queues = new MemoryMailQueueFactory(new RawMailQueueItemDecoratorFactory(), CLOCK);
        context = new RecordingMailetContext();
        metrics = new RecordingMetricFactory();
    }

    @AfterEach
    void tearDown() {
        if (defer != null) {
            defer.destroy();
        }
        queues.clean();
    }

    void init(String... parameters) throws Exception {
        init(queues, parameters);
    }

    void init(MailQueueFactory<?> factory, String... parameters) throws Exception {
        defer = new Defer(factory, metrics, CLOCK);
        FakeMailetConfig.Builder config = FakeMailetConfig.builder().mailetName("deferred").mailetContext(context.context);
        for (int i = 0; i < parameters.length; i += 2) {
            config.setProperty(parameters[i], parameters[i + 1]);
        }
        defer.init(config.build());
    }

    /** What the queue holds: each mail as queued, with its next delivery. */
    List<ManageableMailQueue.MailQueueItemView> queued(String queue) throws Exception {
        List<ManageableMailQueue.MailQueueItemView> items = new ArrayList<>();
        Optional<? extends ManageableMailQueue> created = queues.getQueue(MailQueueName.of(queue));
        if (created.isPresent()) {
            created.get().browse().forEachRemaining(items::add);
        }
        return items;
    }

    ManageableMailQueue.MailQueueItemView onlyQueued() throws Exception {
        List<ManageableMailQueue.MailQueueItemView> items = queued("spool");
        assertThat(items).hasSize(1);
        return items.get(0);
    }

    static Mail failedMail(String name, Duration inQueue, int earlierFailures) throws Exception {
        MailImpl mail = MailImpl.builder().name(name).state("deferred").sender("sender@client.example").addRecipient("user@down.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("hello").setText("body"))
            .addAttribute(new Attribute(SpoolAttributes.ARRIVAL, AttributeValue.of(NOW.minus(inQueue).toEpochMilli())))
            .build();
        if (earlierFailures > 0) {
            mail.setAttribute(new Attribute(SpoolAttributes.RETRIES, AttributeValue.of(earlierFailures)));
        }
        mail.setAttribute(new Attribute(SpoolAttributes.DELIVERY_ERROR, AttributeValue.of("451 4.3.0 try again later")));
        return mail;
    }

    static Instant nextDelivery(ManageableMailQueue.MailQueueItemView item) {
        return item.getNextDelivery().orElseThrow().toInstant();
    }

    @Test
    void aDeferredMailIsEnqueuedIntoTheSpoolWithItsDelayInTheTransportStateWithItsBookkeeping() throws Exception {
        init();
        Mail mail = failedMail("1A2B3C", Duration.ofMinutes(20), 2);

        defer.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        ManageableMailQueue.MailQueueItemView item = onlyQueued();
        Mail queued = item.getMail();
        assertThat(queued.getName()).isEqualTo("1A2B3C");
        assertThat(queued.getState()).isEqualTo("transport");
        assertThat(SpoolAttributes.retries(queued)).isEqualTo(3);
        assertThat(SpoolAttributes.arrival(queued)).contains(NOW.minus(Duration.ofMinutes(20)).toEpochMilli());
        // age-based: the 20 minutes in the queue, ±10%
        assertThat(nextDelivery(item)).isBetween(NOW.plus(Duration.ofMinutes(18)), NOW.plus(Duration.ofMinutes(22)));
        assertThat(SpoolAttributes.nextAttempt(queued)).contains(nextDelivery(item).toEpochMilli());
        assertThat(metrics.countFor("policyrouter.spool.deferred")).isEqualTo(1);
    }

    @Test
    void waitsTheMinimalBackoffAfterAFirstFailure() throws Exception {
        init("jitter", "0%");

        defer.service(failedMail("m1", Duration.ofSeconds(3), 0));

        assertThat(nextDelivery(onlyQueued())).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
        assertThat(SpoolAttributes.retries(onlyQueued().getMail())).isEqualTo(1);
    }

    @Test
    void followsAnExplicitRetrySchedule() throws Exception {
        init("retrySchedule", "1m, 5m*2, 1h", "jitter", "0");

        defer.service(failedMail("m1", Duration.ofMinutes(7), 2));

        assertThat(nextDelivery(onlyQueued())).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
    }

    @Test
    void makesTheLastAttemptWhenTheLifetimeEnds() throws Exception {
        init("queueLifetime", "5d", "jitter", "0");

        defer.service(failedMail("m1", Duration.ofDays(5).minusMinutes(2), 40));

        assertThat(nextDelivery(onlyQueued())).isEqualTo(NOW.plus(Duration.ofMinutes(2)));
    }

    @Test
    void aMailPastTheQueueLifetimeGoesToExpiredAndNothingIsEnqueued() throws Exception {
        init("queueLifetime", "5d");
        Mail mail = failedMail("m1", Duration.ofDays(5).plusSeconds(1), 40);

        defer.service(mail);

        assertThat(mail.getState()).isEqualTo("expired");
        assertThat(SpoolAttributes.retries(mail)).isEqualTo(41);
        assertThat(queued("spool")).isEmpty();
        assertThat(metrics.countFor("policyrouter.spool.expired")).isEqualTo(1);
    }

    @Test
    void enqueuesIntoTheConfiguredQueueInTheConfiguredRetryState() throws Exception {
        init("queue", "deferred-mail", "retryProcessor", "routed");

        defer.service(failedMail("m1", Duration.ofMinutes(1), 1));

        assertThat(queued("spool")).isEmpty();
        assertThat(queued("deferred-mail")).singleElement().satisfies(item -> assertThat(item.getMail().getState()).isEqualTo("routed"));
    }

    @Test
    void aFlushOfTheQueueMakesADeferredMailDueAtOnce() throws Exception {
        init();
        defer.service(failedMail("m1", Duration.ofMinutes(1), 1));

        queues.getQueue(MailQueueFactory.SPOOL).orElseThrow().flush();

        assertThat(nextDelivery(onlyQueued())).isEqualTo(NOW);
        assertThat(onlyQueued().getMail().getState()).isEqualTo("transport");
    }

    @Test
    void warnsTheSenderOnceWithACopyNamedAfterTheMailAndDisposesOfTheCopy() throws Exception {
        init("delayWarningAfter", "1h");
        Mail mail = failedMail("1A2B3C", Duration.ofHours(2), 3);

        defer.service(mail);

        assertThat(context.sent).singleElement().satisfies(warning -> {
            assertThat(warning.state).isEqualTo("delay-warning");
            assertThat(warning.name).isEqualTo("1A2B3C.w4");
            assertThat(warning.disposed()).isTrue();
        });
        Mail queued = onlyQueued().getMail();
        assertThat(SpoolAttributes.delayWarned(queued)).isTrue();

        defer.service(queued);
        assertThat(context.sent).hasSize(1);
        assertThat(metrics.countFor("policyrouter.spool.delay-warned")).isEqualTo(1);
    }

    @Test
    void sendsNoDelayWarningByDefault() throws Exception {
        init();

        defer.service(failedMail("m1", Duration.ofDays(2), 30));

        assertThat(context.sent).isEmpty();
    }

    @Test
    void refusesAQueueThatIgnoresDelaysWithOneLineNamingMailetQueueAndReason() {
        MailQueueFactory<RabbitMQMailQueue> rabbitMq = new MailQueueFactory<>() {
            @Override
            public Optional<RabbitMQMailQueue> getQueue(MailQueueName name, PrefetchCount count) {
                return Optional.of(new RabbitMQMailQueue(name));
            }

            @Override
            public RabbitMQMailQueue createQueue(MailQueueName name, PrefetchCount count) {
                return new RabbitMQMailQueue(name);
            }

            @Override
            public Set<MailQueueName> listCreatedMailQueues() {
                return Set.of();
            }
        };

        assertThatThrownBy(() -> init(rabbitMq, "queue", "spool"))
            .isInstanceOf(MessagingException.class)
            .hasMessage("deferred: queue 'spool' is org.apache.james.queue.rabbitmq.RabbitMQMailQueue, which ignores enqueue delays"
                + " and would retry deferred mail at once, in a loop: use a queue that honours delays");
    }
}
