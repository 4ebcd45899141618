package org.policyrouter.mailets;

import org.apache.james.metrics.api.MetricFactory;
import javax.inject.Inject;

import javax.mail.MessagingException;

import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RoutingAttributes;

/**
 * For {@code error:5.x.y text} next hops, like Postfix's error transport: every recipient fails
 * permanently with the rule's text, and goes on to the undeliverable processor.
 */
public class RefuseNextHop extends GenericMailet {
    private static final AttributeName NEXT_HOP = AttributeName.of(RoutingAttributes.NEXT_HOP);
    private final MetricFactory metrics;
    private DeliveryOutcomes outcomes;

    @Inject
    public RefuseNextHop(MetricFactory metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init() {
        outcomes = DeliveryOutcomes.configuredFor(this, metrics);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        String nextHop = AttributeUtils.getValueAndCastFromMail(mail, NEXT_HOP, String.class).orElse("error:");
        String text = nextHop.regionMatches(true, 0, "error:", 0, 6) ? nextHop.substring(6).trim() : nextHop;
        RecipientOutcome refused = RecipientOutcome.permanentFailure(text.isEmpty() ? "5.0.0 refused by the transport policy" : text);
        outcomes.apply(mail, nextHop, RecipientOutcomes.of(mail.getRecipients(), refused));
    }

    @Override
    public String getMailetInfo() {
        return "RefuseNextHop: error: next hops";
    }
}
