package org.policyrouter.mailets;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.policyrouter.policy.RoutingAttributes;

/**
 * Each failed recipient's own last reply ({@code org.policyrouter.recipient-errors}: exact
 * address → reply), so a report lists every recipient with the reply its next hop gave, where
 * James's {@code delivery-error} holds one reply for the whole mail.
 */
final class RecipientErrors {
    static final AttributeName NAME = AttributeName.of(RoutingAttributes.RECIPIENT_ERRORS);

    private RecipientErrors() {
    }

    /** Replaces the map: the mail's recipients are now these. */
    static void set(Mail mail, Map<String, String> replies) {
        Map<String, AttributeValue<?>> values = new LinkedHashMap<>();
        replies.forEach((recipient, reply) -> values.put(recipient, AttributeValue.of(reply)));
        mail.setAttribute(new Attribute(NAME, AttributeValue.of(values)));
    }

    /** Exact address → reply; empty when the mail carries none. */
    static Map<String, String> of(Mail mail) {
        Map<String, String> replies = new LinkedHashMap<>();
        AttributeUtils.getValueAndCastFromMail(mail, NAME, Map.class).ifPresent(map -> ((Map<?, ?>) map).forEach((recipient, value) ->
            // a stored map holds AttributeValues; one built in this JVM may too
            replies.put(String.valueOf(recipient), String.valueOf(value instanceof AttributeValue ? ((AttributeValue<?>) value).value() : value))));
        return replies;
    }

    /** This recipient's reply, else the mail's last one. */
    static Optional<String> of(Mail mail, MailAddress recipient) {
        return Optional.ofNullable(of(mail).get(recipient.asString()));
    }
}
