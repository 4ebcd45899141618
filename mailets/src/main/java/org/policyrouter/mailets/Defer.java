package org.policyrouter.mailets;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.core.Durations;
import org.policyrouter.spool.MailCopies;
import org.policyrouter.spool.SpoolAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code deferred} processor: a temporarily failed mail is enqueued again, delayed until its
 * next attempt, into a James mail queue (by default {@code spool}, James's main queue), in the
 * state it will be retried in: deferral is a delayed enqueue, as James's RemoteDelivery retries
 * through its {@code outgoing} queue. The queue is the only retry engine; flushing it (WebAdmin's
 * {@code PATCH /mailQueues/spool/mails?delayed=true}) makes deferred mail due at once. Past the
 * queue lifetime the mail goes to the {@code expired} processor instead.
 *
 * <pre>{@code
 * <mailet match="All" class="org.policyrouter.mailets.Defer">
 *   <queue>spool</queue>                             <!-- default: James's main queue -->
 *   <retryProcessor>transport</retryProcessor>       <!-- the state a due mail is processed in -->
 *   <expiredProcessor>expired</expiredProcessor>
 *   <queueLifetime>5d</queueLifetime>                <!-- the router's lifetime in days; default 5d -->
 *   <minimalBackoff>5m</minimalBackoff>              <!-- age-based backoff like Postfix: default 5m .. 67m -->
 *   <maximalBackoff>67m</maximalBackoff>
 *   <retrySchedule>1m, 5m*2, 1h*3</retrySchedule>   <!-- optional: explicit intervals instead -->
 *   <jitter>10%</jitter>                             <!-- default 10% -->
 *   <delayWarningAfter>4h</delayWarningAfter>        <!-- optional, off by default -->
 *   <delayWarningProcessor>delay-warning</delayWarningProcessor>
 * </mailet>
 * }</pre>
 *
 * The queue must honour delays: James's memory and ActiveMQ queues and our file spool do;
 * distributed James's RabbitMQ queue ignores them (it delivers at once), which would turn every
 * deferral into a hot retry loop, so it is refused at start.
 */
public class Defer extends GenericMailet {
    /** After a local failure to defer (the spool could not store the mail), the mail is tried again after this. */
    static final Duration LOCAL_RETRY = Duration.ofMinutes(1);
    /** Distributed James's queue: logs "Ignored delay upon enqueue" and delivers at once. Not on our class path. */
    static final String QUEUE_IGNORING_DELAYS = "org.apache.james.queue.rabbitmq.RabbitMQMailQueue";
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");

    private final MailQueueFactory<?> queues;
    private final Metric deferredMetric;
    private final Metric expiredMetric;
    private final Metric delayWarningMetric;
    private final Clock clock;
    private MailQueue queue;
    private String retryProcessor;
    private RetrySchedule schedule;
    private Duration lifetime;
    private String expiredProcessor;
    private Duration delayWarningAfter;
    private String delayWarningProcessor;

    @Inject
    public Defer(MailQueueFactory<?> queues, MetricFactory metrics) {
        this(queues, metrics, Clock.systemUTC());
    }

    Defer(MailQueueFactory<?> queues, MetricFactory metrics, Clock clock) {
        this.queues = queues;
        this.deferredMetric = metrics.generate("policyrouter.spool.deferred");
        this.expiredMetric = metrics.generate("policyrouter.spool.expired");
        this.delayWarningMetric = metrics.generate("policyrouter.spool.delay-warned");
        this.clock = clock;
    }

    @Override
    public void init() throws MessagingException {
        lifetime = MailetParameters.duration(this, "queueLifetime", Duration.ofDays(5));
        expiredProcessor = getInitParameter("expiredProcessor", "expired");
        delayWarningAfter = MailetParameters.duration(this, "delayWarningAfter", Duration.ZERO);
        delayWarningProcessor = getInitParameter("delayWarningProcessor", "delay-warning");
        retryProcessor = getInitParameter("retryProcessor", "transport");
        schedule = readSchedule();
        queue = openQueue(getInitParameter("queue", MailQueueFactory.SPOOL.asString()));
        LOGGER.info("{}: deferring into queue {}, retrying in {}: {}, lifetime {}, then {}{}", getMailetName(), queue.getName().asString(),
            retryProcessor, schedule, lifetime, expiredProcessor, delayWarningAfter.isZero() ? "" : ", delay warning after " + delayWarningAfter);
    }

    private MailQueue openQueue(String name) throws MessagingException {
        MailQueue opened;
        try {
            opened = queues.createQueue(MailQueueName.of(name.trim()));
        } catch (IllegalArgumentException e) {
            throw new MessagingException(getMailetName() + ": queue '" + name + "': " + e.getMessage(), e);
        }
        if (opened.getClass().getName().equals(QUEUE_IGNORING_DELAYS)) {
            close(opened);
            throw new MessagingException(getMailetName() + ": queue '" + name + "' is " + QUEUE_IGNORING_DELAYS
                + ", which ignores enqueue delays and would retry deferred mail at once, in a loop: use a queue that honours delays");
        }
        return opened;
    }

    private RetrySchedule readSchedule() throws MessagingException {
        double jitter = percentage("jitter", 0.10);
        String intervals = getInitParameter("retrySchedule");
        try {
            if (intervals != null && !intervals.isBlank()) {
                return RetrySchedule.explicit(RetrySchedule.parseIntervals(intervals, Durations::parse), jitter);
            }
            return RetrySchedule.ageBased(MailetParameters.duration(this, "minimalBackoff", Duration.ofMinutes(5)),
                MailetParameters.duration(this, "maximalBackoff", Duration.ofMinutes(67)), jitter);
        } catch (IllegalArgumentException e) {
            throw new MessagingException(getMailetName() + ": parameter retrySchedule: " + e.getMessage());
        }
    }

    private double percentage(String name, double defaultValue) throws MessagingException {
        String text = getInitParameter(name);
        if (text == null || text.isBlank()) {
            return defaultValue;
        }
        try {
            String trimmed = text.trim();
            double value = trimmed.endsWith("%") ? Double.parseDouble(trimmed.substring(0, trimmed.length() - 1).trim()) / 100 : Double.parseDouble(trimmed);
            if (value < 0 || value >= 1) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new MessagingException(getMailetName() + ": parameter " + name + ": '" + text + "' is not a percentage such as 10%");
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        long now = clock.millis();
        long arrival = SpoolAttributes.arrival(mail).orElse(now);
        int failures = SpoolAttributes.retries(mail) + 1;
        Duration age = Duration.ofMillis(Math.max(0, now - arrival));
        String lastError = SpoolAttributes.lastError(mail).orElse("no error recorded");
        mail.setAttribute(new Attribute(SpoolAttributes.ARRIVAL, AttributeValue.of(arrival)));
        mail.setAttribute(new Attribute(SpoolAttributes.RETRIES, AttributeValue.of(failures)));
        if (age.compareTo(lifetime) >= 0) {
            expiredMetric.increment();
            LOGGER.info("{}: expired after {} in the queue and {} attempts, to=<{}>, last error: {}", mail.getName(), readable(age), failures,
                recipients(mail), lastError);
            mail.setState(expiredProcessor);
            return;
        }
        // the last attempt happens when the lifetime ends, not up to one backoff later
        long nextAttempt = Math.min(now + schedule.nextDelay(failures, age, ThreadLocalRandom.current()::nextDouble).toMillis(),
            arrival + lifetime.toMillis());
        mail.setAttribute(new Attribute(SpoolAttributes.NEXT_ATTEMPT, AttributeValue.of(nextAttempt)));
        warnSenderOfDelay(mail, age, failures);
        Duration delay = Duration.ofMillis(nextAttempt - now);
        mail.setState(retryProcessor);
        // a retry is a new processing pass: queue/ hand-overs of earlier passes are no loop
        mail.removeAttribute(NextHopProcessor.HOPS);
        try {
            // the queue keeps its own copy (the memory queue clones the mail, the spool writes it out)
            queue.enQueue(mail, delay);
        } catch (MailQueue.MailQueueException e) {
            // a full disk, say: the attempt is not recorded, the mail stays where it was, tried again soon
            LOGGER.error("{}: cannot defer ({}): kept in the spool as it was, tried again in {}", mail.getName(), e.getMessage(), LOCAL_RETRY);
            SpoolAttributes.keepForRetry(mail, LOCAL_RETRY);
            return;
        }
        deferredMetric.increment();
        LOGGER.info("{}: deferred, to=<{}>, attempts={}, next attempt at {} (in {}), last error: {}", mail.getName(), recipients(mail), failures,
            Instant.ofEpochMilli(nextAttempt), readable(delay), lastError);
        mail.setState(Mail.GHOST);
    }

    /** RFC 3464 "delayed" DSN, once per mail, when configured; never to the null sender. */
    private void warnSenderOfDelay(Mail mail, Duration age, int attempt) throws MessagingException {
        if (delayWarningAfter.isZero() || age.compareTo(delayWarningAfter) < 0 || SpoolAttributes.delayWarned(mail)
            || mail.getMaybeSender().isNullSender()) {
            return;
        }
        Mail warning = MailCopies.duplicate(mail, mail.getName() + ".w" + attempt);
        try {
            getMailetContext().sendMail(warning, delayWarningProcessor);
        } finally {
            LifecycleUtil.dispose(warning);
        }
        mail.setAttribute(new Attribute(SpoolAttributes.DELAY_WARNED, AttributeValue.of(true)));
        delayWarningMetric.increment();
        LOGGER.info("{}: delay warning to <{}> after {} in the queue, sent as {}", mail.getName(), mail.getMaybeSender().asString(""),
            readable(age), warning.getName());
    }

    private static String recipients(Mail mail) {
        return mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(">,<"));
    }

    private static String readable(Duration duration) {
        return duration.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    private static void close(MailQueue queue) {
        try {
            queue.close();
        } catch (IOException | RuntimeException e) {
            LOGGER.debug("closing queue {}", queue.getName(), e);
        }
    }

    @Override
    public void destroy() {
        if (queue != null) {
            close(queue);
        }
    }

    @Override
    public String getMailetInfo() {
        return "Defer: retries temporarily failed mail by a delayed enqueue into a James mail queue";
    }
}
