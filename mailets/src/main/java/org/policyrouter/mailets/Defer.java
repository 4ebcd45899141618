package org.policyrouter.mailets;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.spool.SpoolAttributes;
import org.policyrouter.spool.SpoolMailRepository;
import org.policyrouter.spool.SpoolRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code deferred} processor: keeps a temporarily failed mail in the spool's deferred queue
 * with its retry count and next-attempt time, and runs the spool runner that hands it back to
 * routing when due. Past the queue lifetime the mail goes to the {@code expired} processor instead.
 *
 * <pre>{@code
 * <mailet match="All" class="org.policyrouter.mailets.Defer">
 *   <repositoryPath>spool://var/spool/deferred</repositoryPath>
 *   <retryProcessor>transport</retryProcessor>       <!-- where due mails are re-injected -->
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
 */
public class Defer extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");

    private final MailRepositoryStore repositories;
    private final Metric deferredMetric;
    private final Metric expiredMetric;
    private final Metric retriedMetric;
    private final Metric delayWarningMetric;
    private final Clock clock;
    private SpoolMailRepository deferred;
    private SpoolRunner runner;
    private RetrySchedule schedule;
    private Duration lifetime;
    private String expiredProcessor;
    private Duration delayWarningAfter;
    private String delayWarningProcessor;

    @Inject
    public Defer(MailRepositoryStore repositories, MetricFactory metrics) {
        this(repositories, metrics, Clock.systemUTC());
    }

    Defer(MailRepositoryStore repositories, MetricFactory metrics, Clock clock) {
        this.repositories = repositories;
        this.deferredMetric = metrics.generate("policyrouter.spool.deferred");
        this.expiredMetric = metrics.generate("policyrouter.spool.expired");
        this.retriedMetric = metrics.generate("policyrouter.spool.retried");
        this.delayWarningMetric = metrics.generate("policyrouter.spool.delay-warned");
        this.clock = clock;
    }

    @Override
    public void init() throws MessagingException {
        String path = getInitParameter("repositoryPath", "spool://var/spool/deferred");
        MailRepository repository = selectRepository(repositories, path, getMailetName());
        if (!(repository instanceof SpoolMailRepository)) {
            throw new MessagingException(getMailetName() + ": repositoryPath " + path + " is not a spool:// repository "
                + "(register org.policyrouter.spool.SpoolMailRepository in mailrepositorystore.xml)");
        }
        deferred = (SpoolMailRepository) repository;
        lifetime = MailetParameters.duration(this, "queueLifetime", Duration.ofDays(5));
        expiredProcessor = getInitParameter("expiredProcessor", "expired");
        delayWarningAfter = MailetParameters.duration(this, "delayWarningAfter", Duration.ZERO);
        delayWarningProcessor = getInitParameter("delayWarningProcessor", "delay-warning");
        schedule = readSchedule();
        String retryProcessor = getInitParameter("retryProcessor", "transport");
        runner = new SpoolRunner(deferred, mail -> getMailetContext().sendMail(mail, retryProcessor), clock, retriedMetric);
        runner.start();
        LOGGER.info("{}: deferring to {}, retrying in {}: {}, lifetime {}, then {}{}", getMailetName(), path, retryProcessor, schedule,
            lifetime, expiredProcessor, delayWarningAfter.isZero() ? "" : ", delay warning after " + delayWarningAfter);
    }

    static MailRepository selectRepository(MailRepositoryStore repositories, String path, String mailetName) throws MessagingException {
        try {
            return repositories.select(MailRepositoryUrl.from(path));
        } catch (MailRepositoryStore.MailRepositoryStoreException | IllegalArgumentException e) {
            throw new MessagingException(mailetName + ": repositoryPath " + path + ": " + e.getMessage(), e);
        }
    }

    private RetrySchedule readSchedule() throws MessagingException {
        double jitter = percentage("jitter", 0.10);
        String intervals = getInitParameter("retrySchedule");
        try {
            if (intervals != null && !intervals.isBlank()) {
                return RetrySchedule.explicit(RetrySchedule.parseIntervals(intervals, MailetParameters::parseDuration), jitter);
            }
            return RetrySchedule.ageBased(MailetParameters.duration(this, "minimalBackoff", Duration.ofMinutes(5)),
                MailetParameters.duration(this, "maximalBackoff", Duration.ofMinutes(67)), jitter);
        } catch (IllegalArgumentException e) {
            throw new MessagingException(getMailetName() + ": retry schedule: " + e.getMessage());
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
        String queueId = SpoolAttributes.queueId(mail);
        String lastError = SpoolAttributes.lastError(mail).orElse("no error recorded");
        mail.setAttribute(new Attribute(SpoolAttributes.ARRIVAL, AttributeValue.of(arrival)));
        mail.setAttribute(new Attribute(SpoolAttributes.RETRIES, AttributeValue.of(failures)));
        if (age.compareTo(lifetime) >= 0) {
            expiredMetric.increment();
            LOGGER.info("{}: expired after {} in the queue and {} attempts, to=<{}>, last error: {}", queueId, readable(age), failures,
                recipients(mail), lastError);
            mail.setState(expiredProcessor);
            return;
        }
        // the last attempt happens when the lifetime ends, not up to one backoff later
        long nextAttempt = Math.min(now + schedule.nextDelay(failures, age, ThreadLocalRandom.current()::nextDouble).toMillis(),
            arrival + lifetime.toMillis());
        mail.setAttribute(new Attribute(SpoolAttributes.NEXT_ATTEMPT, AttributeValue.of(nextAttempt)));
        warnSenderOfDelay(mail, age, queueId);
        deferred.store(mail);
        deferredMetric.increment();
        LOGGER.info("{}: deferred, to=<{}>, attempts={}, next attempt at {} (in {}), last error: {}", queueId, recipients(mail), failures,
            Instant.ofEpochMilli(nextAttempt), readable(Duration.ofMillis(nextAttempt - now)), lastError);
        mail.setState(Mail.GHOST);
    }

    /** RFC 3464 "delayed" DSN, once per mail, when configured; never to the null sender. */
    private void warnSenderOfDelay(Mail mail, Duration age, String queueId) throws MessagingException {
        if (delayWarningAfter.isZero() || age.compareTo(delayWarningAfter) < 0 || SpoolAttributes.delayWarned(mail)
            || mail.getMaybeSender().isNullSender()) {
            return;
        }
        Mail warning = mail.duplicate();
        getMailetContext().sendMail(warning, delayWarningProcessor);
        mail.setAttribute(new Attribute(SpoolAttributes.DELAY_WARNED, AttributeValue.of(true)));
        delayWarningMetric.increment();
        LOGGER.info("{}: delay warning to <{}> after {} in the queue", queueId, mail.getMaybeSender().asString(""), readable(age));
    }

    private static String recipients(Mail mail) {
        return mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(">,<"));
    }

    private static String readable(Duration duration) {
        return duration.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    @Override
    public void destroy() {
        if (runner != null) {
            runner.stop();
        }
    }

    @Override
    public String getMailetInfo() {
        return "Defer: keeps temporarily failed mail in the spool's deferred queue and retries it";
    }
}
