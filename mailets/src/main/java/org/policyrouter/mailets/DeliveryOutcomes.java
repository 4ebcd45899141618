package org.policyrouter.mailets;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RoutingAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies per-recipient outcomes to the mail: logs one line per recipient, drops the delivered
 * ones, and sends the temporarily and permanently failed ones on to their processors with the
 * remote reply where James's DSNBounce reads it.
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
    /** Recipients per outcome (the spool counts retries, expiries and reports). */
    private final Metric sent;
    private final Metric deferred;
    private final Metric bounced;

    DeliveryOutcomes(MailetContext context, String deferredProcessor, String undeliverableProcessor, MetricFactory metrics) {
        this.context = context;
        this.deferredProcessor = deferredProcessor;
        this.undeliverableProcessor = undeliverableProcessor;
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

    /** After a delivery attempt covering every recipient: the mail is done once failures are passed on. */
    void apply(Mail mail, String nextHop, Map<MailAddress, RecipientOutcome> outcomes) throws MessagingException {
        passOnFailures(mail, nextHop, outcomes);
        mail.setState(Mail.GHOST);
    }

    /**
     * Before delivery (e.g. an unknown alias): failed recipients are passed on and removed, the
     * mail continues with the others, or ends when none is left.
     */
    void reject(Mail mail, String nextHop, Map<MailAddress, RecipientOutcome> failures) throws MessagingException {
        if (failures.isEmpty()) {
            return;
        }
        passOnFailures(mail, nextHop, failures);
        List<MailAddress> remaining = new ArrayList<>(mail.getRecipients());
        remaining.removeAll(failures.keySet());
        if (remaining.isEmpty()) {
            mail.setState(Mail.GHOST);
        } else {
            mail.setRecipients(remaining);
        }
    }

    private void passOnFailures(Mail mail, String nextHop, Map<MailAddress, RecipientOutcome> outcomes) throws MessagingException {
        List<MailAddress> temporary = new ArrayList<>();
        List<MailAddress> permanent = new ArrayList<>();
        String lastTemporary = null;
        String lastPermanent = null;
        long delayMillis = mail.getLastUpdated() == null ? 0 : System.currentTimeMillis() - mail.getLastUpdated().getTime();
        for (Map.Entry<MailAddress, RecipientOutcome> entry : outcomes.entrySet()) {
            RecipientOutcome outcome = entry.getValue();
            LOGGER.info("{}: to=<{}>, relay={}, delay={}s, status={} ({})", mail.getName(), entry.getKey().asString(), nextHop,
                delayMillis / 1000.0, statusWord(outcome.status()), outcome.reply());
            if (outcome.status() == RecipientOutcome.Status.DELIVERED) {
                sent.increment();
            } else if (outcome.status() == RecipientOutcome.Status.TEMPORARY_FAILURE) {
                deferred.increment();
                temporary.add(entry.getKey());
                lastTemporary = outcome.reply();
            } else if (outcome.status() == RecipientOutcome.Status.PERMANENT_FAILURE) {
                bounced.increment();
                permanent.add(entry.getKey());
                lastPermanent = outcome.reply();
            }
        }
        forward(mail, nextHop, permanent, lastPermanent, undeliverableProcessor);
        forward(mail, nextHop, temporary, lastTemporary, deferredProcessor);
    }

    private void forward(Mail mail, String nextHop, List<MailAddress> recipients, String reply, String processor) throws MessagingException {
        if (recipients.isEmpty()) {
            return;
        }
        Mail failed = mail.duplicate();
        failed.setRecipients(recipients);
        failed.setErrorMessage(reply);
        failed.setAttribute(new Attribute(DELIVERY_ERROR, AttributeValue.of(reply)));
        failed.setAttribute(new Attribute(ERROR_LOG, AttributeValue.of(appendedErrorLog(mail, Instant.now() + " " + nextHop + " " + reply))));
        context.sendMail(failed, processor);
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
