package org.policyrouter.mailets;

import java.util.List;
import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RoutingAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For {@code queue/NAME} next hops (the router spec's "another queue plugin"): hands the mail to
 * the James processor NAME. A processor that does not exist sends the mail to James's
 * {@code error} processor, as any unknown state does.
 *
 * <p>James processes a state change inside the same call, so a {@code queue/} next hop that
 * leads back into routing ({@code queue/transport}, or a chain of processors that comes back)
 * recursed until a StackOverflowError, for that mail, at every start. Each hand-over counts one
 * hop on the mail (attribute {@code org.policyrouter.hops}, like Postfix's hop count); past
 * {@code maxHops} the mail is a routing loop: every recipient fails permanently with
 * {@code 5.4.6 routing loop detected} and the mail goes to {@code loopProcessor} (by default
 * {@code undeliverable}: one non-delivery report). {@code Defer} starts the count again for each
 * retry, so a legitimate {@code queue/} step is never counted across days of retries.
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=queue" class="org.policyrouter.mailets.NextHopProcessor">
 *   <maxHops>50</maxHops>                          <!-- default -->
 *   <loopProcessor>undeliverable</loopProcessor>   <!-- default -->
 * </mailet>
 * }</pre>
 */
public class NextHopProcessor extends GenericMailet {
    /**
     * Postfix's {@code hopcount_limit}. Measured in the bundled server: a spooler thread (default
     * 1 MiB stack) overflowed at hop 153 of {@code queue/transport}, so 50 hops use a third of the
     * stack and leave the rest for the delivery or the report after the last one; no legitimate
     * chain of processors comes near.
     */
    static final int DEFAULT_MAX_HOPS = 50;
    static final AttributeName HOPS = AttributeName.of(RoutingAttributes.HOPS);
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.delivery");
    private static final AttributeName RULE = AttributeName.of(RoutingAttributes.RULE);

    private int maxHops;
    private String loopProcessor;

    @Override
    public void init() throws MessagingException {
        loopProcessor = getInitParameter("loopProcessor", "undeliverable");
        maxHops = MailetParameters.number(this, "maxHops", DEFAULT_MAX_HOPS, 1);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        String nextHop = RoutedNextHop.of(mail, getMailetName());
        String processor = nextHop.substring(nextHop.indexOf('/') + 1);
        int hops = hops(mail) + 1;
        if (hops > maxHops) {
            refuseLoop(mail, nextHop, hops - 1);
            return;
        }
        mail.setAttribute(new Attribute(HOPS, AttributeValue.of(hops)));
        LOGGER.info("{}: to={}, relay={}, status=queued (processor {}, hop {})", mail.getName(), mail.getRecipients(), nextHop, processor, hops);
        mail.setState(processor);
    }

    /** The mail itself, whose routing is over, goes on to the loop processor with every recipient failed. */
    private void refuseLoop(Mail mail, String nextHop, int hops) {
        String rule = AttributeUtils.getValueAndCastFromMail(mail, RULE, String.class).orElse("unknown rule");
        String reply = "5.4.6 routing loop detected: handed to another processor " + hops + " times, the last by " + nextHop
            + " (" + rule + ")";
        List<MailAddress> recipients = List.copyOf(mail.getRecipients());
        LOGGER.warn("{}: to=<{}>, relay={}, status=loop ({})", mail.getName(),
            recipients.stream().map(MailAddress::asString).collect(Collectors.joining(">,<")), nextHop, reply);
        DeliveryOutcomes.markFailed(mail, nextHop, recipients, reply);
        mail.setState(loopProcessor);
    }

    static int hops(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, HOPS, Integer.class).orElse(0);
    }

    @Override
    public String getMailetInfo() {
        return "NextHopProcessor: queue/NAME next hops, with a hop count against routing loops";
    }
}
