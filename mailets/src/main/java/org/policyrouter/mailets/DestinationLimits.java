package org.policyrouter.mailets;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.spool.SpoolAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most {@code destinationConcurrencyLimit} deliveries at once to one destination (a relay host
 * list, or an MX domain), like Postfix's default_destination_concurrency_limit, so one slow
 * destination cannot hold every spooler thread. The default is Postfix's 20, half of the bundled
 * spooler's 40 threads (10 bounced the mail of one busy next hop back for a second so often that
 * 10-recipient relaying fell to 0.92× plain James): a mail for a destination at its limit goes back
 * into the file spool for {@link #BUSY_RETRY} without counting as an attempt, and the thread takes
 * the next mail. The global cap is the spooler's {@code <threads>} in mailetcontainer.xml. With
 * another James queue (a mail that did not come from the file spool) the limit is not applied:
 * only the file spool can hand a mail back for later.
 */
final class DestinationLimits {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.delivery");
    static final Duration BUSY_RETRY = Duration.ofSeconds(1);

    private final int limit;
    private final Map<String, Integer> active = new ConcurrentHashMap<>();

    DestinationLimits(int limit) {
        this.limit = limit;
    }

    /** {@code destinationConcurrencyLimit} of the delivery mailet, 20 by default; 0 means no limit. */
    static DestinationLimits configuredFor(GenericMailet mailet) throws MessagingException {
        return new DestinationLimits(MailetParameters.number(mailet, "destinationConcurrencyLimit", 20, 0));
    }

    /**
     * A delivery slot for this destination; or false, and the mail was handed back to the spool for
     * {@link #BUSY_RETRY} (its processing ends here).
     */
    boolean enter(String destination, Mail mail) {
        if (limit == 0 || !mail.getAttribute(SpoolAttributes.QUEUE_ID).isPresent()) {
            active.merge(destination, 1, Integer::sum);
            return true;
        }
        boolean[] entered = {false};
        active.compute(destination, (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= limit) {
                return count;
            }
            entered[0] = true;
            return now + 1;
        });
        if (!entered[0]) {
            LOGGER.debug("{}: {} deliveries to {} already: back in the spool for {}", mail.getName(), limit, destination, BUSY_RETRY);
            SpoolAttributes.keepForRetry(mail, BUSY_RETRY);
        }
        return entered[0];
    }

    void leave(String destination) {
        active.computeIfPresent(destination, (key, count) -> count <= 1 ? null : count - 1);
    }
}
