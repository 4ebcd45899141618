package org.policyrouter.mailets;

import javax.mail.MessagingException;

import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RoutingAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For {@code queue/NAME} next hops (the router spec's "another queue plugin"): hands the mail to
 * the James processor NAME. A processor that does not exist sends the mail to James's
 * {@code error} processor, as any unknown state does.
 */
public class NextHopProcessor extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.delivery");
    private static final AttributeName NEXT_HOP = AttributeName.of(RoutingAttributes.NEXT_HOP);

    @Override
    public void service(Mail mail) throws MessagingException {
        String nextHop = AttributeUtils.getValueAndCastFromMail(mail, NEXT_HOP, String.class)
            .orElseThrow(() -> new MessagingException(mail.getName() + " has no next hop: NextHopProcessor must follow RoutePolicy"));
        String processor = nextHop.substring(nextHop.indexOf('/') + 1);
        LOGGER.info("{}: to={}, relay={}, status=queued (processor {})", mail.getName(), mail.getRecipients(), nextHop, processor);
        mail.setState(processor);
    }

    @Override
    public String getMailetInfo() {
        return "NextHopProcessor: queue/NAME next hops";
    }
}
