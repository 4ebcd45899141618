package org.policyrouter.mailets;

import javax.mail.MessagingException;

import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.Mail;
import org.policyrouter.policy.RoutingAttributes;

/** The next hop RoutePolicy wrote on a mail, as the agents after it read it. */
final class RoutedNextHop {
    private static final AttributeName NEXT_HOP = AttributeName.of(RoutingAttributes.NEXT_HOP);

    private RoutedNextHop() {
    }

    /** @throws MessagingException when the mail did not come through RoutePolicy: a processor chain error */
    static String of(Mail mail, String mailetName) throws MessagingException {
        return AttributeUtils.getValueAndCastFromMail(mail, NEXT_HOP, String.class)
            .orElseThrow(() -> new MessagingException(mail.getName() + " has no next hop: " + mailetName + " must follow RoutePolicy"));
    }
}
