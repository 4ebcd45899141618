package org.policyrouter.mailets;

import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.Mail;
import org.policyrouter.policy.NextHopOptions;
import org.policyrouter.policy.RoutingAttributes;
import org.policyrouter.policy.TlsLevel;

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

    /**
     * The {@code tls=} its transport rule wrote, if any: empty for a relay host from the relayhost
     * file, or a mail without a next hop attribute (the agent's own level applies).
     *
     * @throws MessagingException when the spec cannot be read again: never guess a weaker level
     */
    static Optional<TlsLevel> tls(Mail mail) throws MessagingException {
        Optional<String> spec = AttributeUtils.getValueAndCastFromMail(mail, NEXT_HOP, String.class);
        try {
            // the spec was checked when the table loaded; only its leading options are read again
            return spec.flatMap(text -> NextHopOptions.parse(text).tls());
        } catch (IllegalArgumentException e) {
            throw new MessagingException(mail.getName() + ": next hop '" + spec.orElse("") + "' cannot be read: " + e.getMessage(), e);
        }
    }
}
