package org.policyrouter.mailets;

import java.util.Map;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;

/** Reads per-recipient attributes: maps keyed by recipient address, as they come back from storage. */
final class RecipientAttributes {
    private RecipientAttributes() {
    }

    static Optional<String> valueFor(Mail mail, AttributeName name, MailAddress recipient) {
        return AttributeUtils.getValueAndCastFromMail(mail, name, Map.class)
            .map(map -> map.get(recipient.asString()))
            // a stored map holds AttributeValues; one built in this JVM may hold plain strings
            .map(value -> value instanceof AttributeValue ? ((AttributeValue<?>) value).value() : value)
            .map(Object::toString);
    }
}
