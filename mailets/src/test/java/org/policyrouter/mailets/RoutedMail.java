package org.policyrouter.mailets;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.policyrouter.policy.RoutingAttributes;

/** A mail as RoutePolicy hands it to a delivery agent: its next hop in the attribute the agents read. */
final class RoutedMail {
    private RoutedMail() {
    }

    /** @param sender {@code ""} for the null sender */
    static Mail of(String nextHop, String sender, MimeMessageBuilder message, String... recipients) throws Exception {
        FakeMail.Builder builder = FakeMail.builder().name("routed").mimeMessage(message)
            .attribute(new Attribute(AttributeName.of(RoutingAttributes.NEXT_HOP), AttributeValue.of(nextHop)));
        if (!sender.isEmpty()) {
            builder.sender(sender);
        }
        for (String recipient : recipients) {
            builder.recipient(new MailAddress(recipient));
        }
        return builder.build();
    }
}
