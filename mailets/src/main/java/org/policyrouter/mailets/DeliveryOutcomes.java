package org.policyrouter.mailets;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RoutingAttributes;
import org.policyrouter.spool.MailCopies;
import org.policyrouter.spool.SpoolAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies per-recipient outcomes to the mail: logs one line per recipient and drops the delivered
 * ones. After an attempt the mail itself continues to the deferred processor with the recipients
 * that failed temporarily (no copy: the deferral is a delayed enqueue of this very mail), and only
 * the permanently failed recipients are copied to the undeliverable processor, with the remote
 * reply where James's DSNBounce reads it. Copies are named after the mail, so the queue ID stays a
 * prefix ({@code <name>.b<attempt>}), and disposed once sent on: the queue keeps its own.
 */
final class DeliveryOutcomes {
    /** Read by James's DSNBounce for the Status/Diagnostic-Code of the report. */
    static final AttributeName DELIVERY_ERROR = AttributeName.of("delivery-error");
    /** Every failed attempt of this mail, oldest first: "time next-hop reply". */
    static final AttributeName ERROR_LOG = AttributeName.of(RoutingAttributes.ERROR_LOG);
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.delivery");

    private final MailetContext context;
    private final String deferredProcessor;
    private final String undeliverableProcessor;
    private static final AttributeName NEXT_HOP_TYPE = AttributeName.of(RoutingAttributes.NEXT_HOP_TYPE);

    private final MetricFactory metrics;
    /** Recipients per outcome (the spool counts retries, expiries and reports). */
    private final Metric sent;
    private final Metric deferred;
    private final Metric bounced;

    DeliveryOutcomes(MailetContext context, String deferredProcessor, String undeliverableProcessor, MetricFactory metrics) {
        this.context = context;
        this.deferredProcessor = deferredProcessor;
        this.undeliverableProcessor = undeliverableProcessor;
        this.metrics = metrics;
        this.sent = metrics.generate("policyrouter.delivery.sent");
        this.deferred = metrics.generate("policyrouter.delivery.deferred");
        this.bounced = metrics.generate("policyrouter.delivery.bounced");
    }

    /** From the mailet's {@code deferredProcessor} and {@code undeliverableProcessor} parameters. */
    static DeliveryOutcomes configuredFor(GenericMailet mailet, MetricFactory metrics) {
        return new DeliveryOutcomes(mailet.getMailetContext(),
            mailet.getInitParameter("deferredProcessor", "deferred"),
            mailet.getInitParameter("undeliverableProcessor", "undeliverable"),
            metrics);
    }

    /**
     * After a delivery attempt covering every recipient: permanent failures are copied to the
     * undeliverable processor; the mail continues to the deferred processor with the temporary
     * failures, or ends when there is none.
     */
    void apply(Mail mail, String nextHop, RecipientOutcomes outcomes) throws MessagingException {
        Failures failures = sort(mail, nextHop, outcomes);
        int attempt = SpoolAttributes.retries(mail) + 1;
        sendCopy(mail, nextHop, failures.permanent, failures.lastPermanent, undeliverableProcessor, mail.getName() + ".b" + attempt);
        if (failures.temporary.isEmpty()) {
            mail.setState(Mail.GHOST);
            return;
        }
        markFailed(mail, nextHop, failures.temporary, failures.lastTemporary);
        mail.setState(deferredProcessor);
    }

    /**
     * Before delivery (e.g. an unknown alias): failed recipients are passed on and removed, the
     * mail continues with the others. Permanent failures are copied to the undeliverable
     * processor ({@code <name>.r<attempt>}); temporary ones are copied to the deferred processor
     * ({@code <name>.d<attempt>}) while other recipients remain, else the mail itself goes there
     * (as after an attempt); with no failure left to defer and no recipient left, the mail ends.
     */
    void reject(Mail mail, String nextHop, RecipientOutcomes outcomes) throws MessagingException {
        if (outcomes.isEmpty()) {
            return;
        }
        Failures failures = sort(mail, nextHop, outcomes);
        int attempt = SpoolAttributes.retries(mail) + 1;
        sendCopy(mail, nextHop, failures.permanent, failures.lastPermanent, undeliverableProcessor, mail.getName() + ".r" + attempt);
        // not removeAll: MailAddress.equals ignores the local part's case, and case@x is not CASE@x
        List<MailAddress> remaining = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            if (!outcomes.contains(recipient)) {
                remaining.add(recipient);
            }
        }
        if (!remaining.isEmpty()) {
            sendCopy(mail, nextHop, failures.temporary, failures.lastTemporary, deferredProcessor, mail.getName() + ".d" + attempt);
            mail.setRecipients(remaining);
        } else if (!failures.temporary.isEmpty()) {
            markFailed(mail, nextHop, failures.temporary, failures.lastTemporary);
            mail.setState(deferredProcessor);
        } else {
            mail.setState(Mail.GHOST);
        }
    }

    /** Logs and counts every outcome; the failed recipients by kind, each kind with its last reply. */
    private Failures sort(Mail mail, String nextHop, RecipientOutcomes outcomes) {
        Failures failures = new Failures();
        long delayMillis = mail.getLastUpdated() == null ? 0 : System.currentTimeMillis() - mail.getLastUpdated().getTime();
        String type = AttributeUtils.getValueAndCastFromMail(mail, NEXT_HOP_TYPE, String.class).orElse("unknown");
        outcomes.forEach((recipient, outcome) -> {
            LOGGER.info("{}: to=<{}>, relay={}, delay={}s, status={} ({})", mail.getName(), recipient.asString(), nextHop,
                delayMillis / 1000.0, statusWord(outcome.status()), outcome.reply());
            // Dropwizard metrics have no labels: the type goes into the name (policyrouter_delivery_sent_smtp_total)
            metrics.generate("policyrouter.delivery." + statusWord(outcome.status()) + "." + type).increment();
            if (outcome.status() == RecipientOutcome.Status.DELIVERED) {
                sent.increment();
            } else if (outcome.status() == RecipientOutcome.Status.TEMPORARY_FAILURE) {
                deferred.increment();
                failures.temporary.put(recipient, outcome);
                failures.lastTemporary = outcome.reply();
            } else if (outcome.status() == RecipientOutcome.Status.PERMANENT_FAILURE) {
                bounced.increment();
                failures.permanent.put(recipient, outcome);
                failures.lastPermanent = outcome.reply();
            }
        });
        return failures;
    }

    /** A copy of the mail for {@code recipients}, sent to {@code processor} and disposed: the queue keeps its own. */
    private void sendCopy(Mail mail, String nextHop, RecipientOutcomes recipients, String reply, String processor, String name)
        throws MessagingException {
        if (recipients.isEmpty()) {
            return;
        }
        Mail copy = MailCopies.duplicate(mail, name);
        try {
            markFailed(copy, nextHop, recipients, reply);
            context.sendMail(copy, processor);
        } finally {
            LifecycleUtil.dispose(copy);
        }
    }

    private static void markFailed(Mail mail, String nextHop, RecipientOutcomes recipients, String lastReply) {
        Map<String, String> replies = new LinkedHashMap<>();
        recipients.forEach((recipient, outcome) -> replies.put(recipient.asString(), outcome.reply()));
        markFailed(mail, nextHop, recipients.recipients(), lastReply, replies);
    }

    /** Every recipient failed with the same reply (a loop, a refusal of the whole mail). */
    static void markFailed(Mail mail, String nextHop, List<MailAddress> recipients, String reply) {
        Map<String, String> replies = new LinkedHashMap<>();
        recipients.forEach(recipient -> replies.put(recipient.asString(), reply));
        markFailed(mail, nextHop, recipients, reply, replies);
    }

    /**
     * The mail now holds only {@code recipients}; the last reply goes where James's DSNBounce reads
     * it, each recipient's own reply into {@code org.policyrouter.recipient-errors} for its line in
     * the report.
     */
    private static void markFailed(Mail mail, String nextHop, List<MailAddress> recipients, String lastReply, Map<String, String> replies) {
        mail.setRecipients(recipients);
        mail.setErrorMessage(lastReply);
        mail.setAttribute(new Attribute(DELIVERY_ERROR, AttributeValue.of(lastReply)));
        mail.setAttribute(new Attribute(ERROR_LOG, AttributeValue.of(appendedErrorLog(mail, Instant.now() + " " + nextHop + " " + lastReply))));
        RecipientErrors.set(mail, replies);
    }

    private static final class Failures {
        final RecipientOutcomes temporary = new RecipientOutcomes();
        final RecipientOutcomes permanent = new RecipientOutcomes();
        String lastTemporary;
        String lastPermanent;
    }

    private static List<AttributeValue<?>> appendedErrorLog(Mail mail, String entry) {
        List<AttributeValue<?>> log = new ArrayList<>();
        mail.getAttribute(ERROR_LOG)
            .map(attribute -> attribute.getValue().value())
            .filter(value -> value instanceof Collection)
            .ifPresent(value -> ((Collection<?>) value).forEach(item -> log.add(item instanceof AttributeValue
                ? (AttributeValue<?>) item : AttributeValue.of(String.valueOf(item)))));
        log.add(AttributeValue.of(entry));
        return log;
    }

    private static String statusWord(RecipientOutcome.Status status) {
        switch (status) {
            case DELIVERED:
                return "sent";
            case TEMPORARY_FAILURE:
                return "deferred";
            default:
                return "bounced";
        }
    }
}
