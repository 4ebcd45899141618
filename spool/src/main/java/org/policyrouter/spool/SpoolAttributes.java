package org.policyrouter.spool;

import java.time.Duration;
import java.util.Optional;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;

/**
 * The spool's bookkeeping, carried as mail attributes so it follows the mail through processors,
 * duplicates and re-injection, and is stored in every spool file's envelope.
 */
public final class SpoolAttributes {
    /** Stable id of a message in the spool, set when it first enters the incoming queue; logged on every step. */
    public static final AttributeName QUEUE_ID = AttributeName.of("org.policyrouter.spool.queue-id");
    /** When the message first entered the spool (epoch millis): the queue lifetime and the backoff count from here. */
    public static final AttributeName ARRIVAL = AttributeName.of("org.policyrouter.spool.arrival");
    /** How many delivery attempts failed temporarily so far. */
    public static final AttributeName RETRIES = AttributeName.of("org.policyrouter.spool.retries");
    /** When the deferred mail is due again (epoch millis). */
    public static final AttributeName NEXT_ATTEMPT = AttributeName.of("org.policyrouter.spool.next-attempt");
    /** Set once a delay warning went to the sender, so only one is sent. */
    public static final AttributeName DELAY_WARNED = AttributeName.of("org.policyrouter.spool.delay-warned");
    /** The remote reply of the last failed attempt, as RelayDelivery and James's RemoteDelivery record it. */
    public static final AttributeName DELIVERY_ERROR = AttributeName.of("delivery-error");

    /**
     * Set by a mailet that met a local failure (a full disk, a broken configuration): the spool
     * keeps the mail where it is and hands it out again after this delay. Never stored.
     */
    public static final AttributeName RETRY_LOCALLY = AttributeName.of("org.policyrouter.spool.retry-locally");

    /** The bookkeeping of one message's life in the spool; a new message (a DSN) must not inherit it. */
    public static final java.util.List<AttributeName> LIFECYCLE = java.util.List.of(QUEUE_ID, ARRIVAL, RETRIES, NEXT_ATTEMPT, DELAY_WARNED);

    private SpoolAttributes() {
    }

    /** The queue id, or the mail name for mail that never went through our queue (drop-in use). */
    public static String queueId(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, QUEUE_ID, String.class).orElse(mail.getName());
    }

    public static Optional<Long> arrival(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, ARRIVAL, Long.class);
    }

    public static int retries(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, RETRIES, Integer.class).orElse(0);
    }

    public static Optional<Long> nextAttempt(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, NEXT_ATTEMPT, Long.class);
    }

    public static boolean delayWarned(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, DELAY_WARNED, Boolean.class).orElse(false);
    }

    /** The last remote reply: RelayDelivery's attribute, else the mail's error message. */
    public static Optional<String> lastError(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, DELIVERY_ERROR, String.class)
            .or(() -> Optional.ofNullable(mail.getErrorMessage()));
    }

    /**
     * Asks the spool to keep this mail — the one it handed out — where it is and try it again after
     * {@code delay}, instead of acknowledging it. The mailet then ends its processing (ghost state).
     * Only the file spool knows it: another James queue drops a ghost mail.
     */
    public static void keepForRetry(Mail mail, Duration delay) {
        mail.setAttribute(new Attribute(RETRY_LOCALLY, AttributeValue.ofUnserializable(delay)));
        mail.setState(Mail.GHOST);
    }

    static Optional<Duration> retryLocallyIn(Mail mail) {
        return mail.getAttribute(RETRY_LOCALLY).map(attribute -> attribute.getValue().value())
            .filter(Duration.class::isInstance).map(Duration.class::cast);
    }

    static void set(Mail mail, AttributeName name, AttributeValue<?> value) {
        mail.setAttribute(new Attribute(name, value));
    }
}
