package org.policyrouter.mailets;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RoutingAttributes;
import org.policyrouter.spool.SpoolAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One report per message per event, not one per next hop. RoutePolicy splits a message into one
 * mail per next hop ({@code ID.1}, {@code ID.2} …) that James processes independently, so a
 * message whose recipients failed at three next hops reached {@code undeliverable} three times
 * and its sender got three reports.
 *
 * <p>First in {@code undeliverable} and {@code expired}: a failed part waits {@code window} in the
 * queue (a delayed enqueue into {@code queue}, in the processor it is in, like a deferral), and is
 * remembered with its recipients and their replies. When the first part's wait of a message is
 * over, it takes every part of that message that failed meanwhile: its recipients (each with its
 * own reply) join the mail, and the rest of the processor sends one report and archives one mail
 * for them all. The other parts, when their wait is over, end with a log line naming the part
 * that reported them.
 *
 * <p>Crash-safe: every part stays in the queue until its own wait is over, so nothing is lost; a
 * restart forgets which parts were reported, and each part still waiting then reports for itself
 * (at worst a report too many). A part that fails after the report was sent (its next hop
 * answered later than the window) is a new event with its own report. Mail from {@code <>} gets
 * no report and does not wait.
 *
 * <pre>{@code
 * <mailet match="All" class="org.policyrouter.mailets.CollectFailures">
 *   <window>10s</window>     <!-- default -->
 *   <queue>spool</queue>     <!-- default: James's main queue; it must honour delays -->
 * </mailet>
 * }</pre>
 */
public class CollectFailures extends GenericMailet {
    static final AttributeName REPORT_AT = AttributeName.of(RoutingAttributes.REPORT_AT);
    static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");

    private final MailQueueFactory<?> queues;
    private final Clock clock;
    private MailQueue queue;
    private Duration window;
    private FailureGatherer gatherer;

    @Inject
    public CollectFailures(MailQueueFactory<?> queues) {
        this(queues, Clock.systemUTC());
    }

    CollectFailures(MailQueueFactory<?> queues, Clock clock) {
        this.queues = queues;
        this.clock = clock;
    }

    @Override
    public void init() throws MessagingException {
        window = MailetParameters.duration(this, "window", DEFAULT_WINDOW);
        String name = getInitParameter("queue", MailQueueFactory.SPOOL.asString()).trim();
        try {
            queue = queues.createQueue(MailQueueName.of(name));
        } catch (IllegalArgumentException e) {
            throw new MessagingException(getMailetName() + ": queue '" + name + "': " + e.getMessage(), e);
        }
        if (queue.getClass().getName().equals(Defer.QUEUE_IGNORING_DELAYS)) {
            throw new MessagingException(getMailetName() + ": queue '" + name + "' is " + Defer.QUEUE_IGNORING_DELAYS
                + ", which ignores enqueue delays: use a queue that honours delays");
        }
        gatherer = new FailureGatherer(window);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (mail.getMaybeSender().isNullSender() || window.isZero()) {
            return;
        }
        String message = messageOf(mail);
        if (AttributeUtils.getValueAndCastFromMail(mail, REPORT_AT, Long.class).isEmpty()) {
            waitForTheOtherParts(mail, message);
            return;
        }
        mail.removeAttribute(REPORT_AT);
        FailureGatherer.Claim claim = gatherer.claim(message, mail.getName(), clock.millis());
        if (claim.alreadyReported()) {
            LOGGER.info("{}: to=<{}> reported with {}", mail.getName(), recipients(mail.getRecipients()), claim.reportedBy);
            mail.setState(Mail.GHOST);
            return;
        }
        if (!claim.others.isEmpty()) {
            takeIn(mail, claim.others);
        }
    }

    private void waitForTheOtherParts(Mail mail, String message) throws MessagingException {
        long now = clock.millis();
        gatherer.add(message, new FailureGatherer.Part(mail.getName(),
            mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.toList()), RecipientErrors.of(mail)), now);
        mail.setAttribute(new Attribute(REPORT_AT, AttributeValue.of(now + window.toMillis())));
        // the state stays: when due, James's spooler brings the mail back to this processor
        queue.enQueue(mail, window);
        LOGGER.info("{}: to=<{}> failed, report in {} with the other parts of {} that fail meanwhile", mail.getName(),
            recipients(mail.getRecipients()), window.toString().substring(2).toLowerCase(java.util.Locale.ROOT), message);
        mail.setState(Mail.GHOST);
    }

    /** The other parts' recipients, each with its reply, join this mail's report. */
    private void takeIn(Mail mail, List<FailureGatherer.Part> others) throws MessagingException {
        List<MailAddress> recipients = new ArrayList<>(mail.getRecipients());
        Map<String, String> replies = new LinkedHashMap<>();
        String lastReply = SpoolAttributes.lastError(mail).orElse("no reply recorded");
        for (MailAddress recipient : recipients) {
            replies.put(recipient.asString(), RecipientErrors.of(mail, recipient).orElse(lastReply));
        }
        for (FailureGatherer.Part part : others) {
            for (String recipient : part.recipients) {
                if (!replies.containsKey(recipient)) {
                    recipients.add(new MailAddress(recipient));
                    replies.put(recipient, part.replies.getOrDefault(recipient, "no reply recorded"));
                }
            }
        }
        mail.setRecipients(recipients);
        RecipientErrors.set(mail, replies);
        LOGGER.info("{}: one report for this part and {}, to=<{}>", mail.getName(),
            others.stream().map(part -> part.name).collect(Collectors.joining(", ")), recipients(recipients));
    }

    /** The queue ID all parts of a message share; without one (drop-in use), the name before the first part suffix. */
    static String messageOf(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, SpoolAttributes.QUEUE_ID, String.class)
            .orElseGet(() -> mail.getName().contains(".") ? mail.getName().substring(0, mail.getName().indexOf('.')) : mail.getName());
    }

    private static String recipients(java.util.Collection<MailAddress> recipients) {
        return recipients.stream().map(MailAddress::asString).collect(Collectors.joining(">,<"));
    }

    @Override
    public void destroy() {
        if (queue != null) {
            try {
                queue.close();
            } catch (IOException | RuntimeException e) {
                LOGGER.debug("closing queue {}", queue.getName(), e);
            }
        }
    }

    @Override
    public String getMailetInfo() {
        return "CollectFailures: one report per message for the parts that fail together";
    }
}
