package org.policyrouter.mailets;

import java.time.Duration;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.queue.api.MailQueueFactory;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.spool.SpoolAttributes;
import org.policyrouter.spool.SpoolMailQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code error} processor of the file spool: a mail that a local problem stopped — a mailet's
 * exception, such as a full disk or a broken configuration — stays in the spool where it was and is
 * tried again later, as Postfix defers mail on a local problem. It is never bounced nor dropped for
 * a local reason (James's own error processor bounces it and stores it in {@code var/mail/error},
 * and when that write fails too, the mail is gone). Each retry that fails again logs one line.
 *
 * <pre>{@code
 * <processor state="error">
 *   <mailet match="All" class="org.policyrouter.mailets.KeepForRetry">
 *     <retryAfter>5m</retryAfter>      <!-- default -->
 *   </mailet>
 * </processor>
 * }</pre>
 *
 * It needs the file spool (the queue that keeps a mail it handed out); in a stock James with its
 * own queue, keep James's error processor: this mailet refuses to start there.
 */
public class KeepForRetry extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");

    private final MailQueueFactory<?> queues;
    private Duration retryAfter;

    @Inject
    public KeepForRetry(MailQueueFactory<?> queues) {
        this.queues = queues;
    }

    @Override
    public void init() throws MessagingException {
        retryAfter = MailetParameters.duration(this, "retryAfter", Duration.ofMinutes(5));
        boolean fileSpool = queues.createQueue(MailQueueFactory.SPOOL) instanceof SpoolMailQueue;
        if (!fileSpool) {
            throw new MessagingException(getMailetName() + ": KeepForRetry needs james-policy-router's file spool as James's queue "
                + "(the bundled server); with another queue keep James's error processor");
        }
    }

    @Override
    public void service(Mail mail) {
        String error = firstLine(mail.getErrorMessage());
        LOGGER.error("{}: kept in the spool after a local error, tried again in {}: {}", mail.getName(), retryAfter, error);
        SpoolAttributes.keepForRetry(mail, retryAfter);
    }

    /** James puts the whole stack trace in the error message; its first line says what failed. */
    private static String firstLine(String message) {
        if (message == null || message.isBlank()) {
            return "unknown";
        }
        int end = message.indexOf('\n');
        return (end < 0 ? message : message.substring(0, end)).trim();
    }

    @Override
    public String getMailetInfo() {
        return "KeepForRetry: a mail stopped by a local error stays in the spool and is tried again";
    }
}
