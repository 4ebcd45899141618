package org.policyrouter.matchers;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.policyrouter.policy.NextHop;
import org.policyrouter.policy.RoutingAttributes;

/**
 * Matches every recipient of a mail whose next hop (set by RoutePolicy) has one of the given
 * types: {@code NextHopIs=smtp}, {@code NextHopIs=mda,pipe}. Types: smtp, mx, mda, pipe, queue
 * (a James processor), local, error, discard, and qpsmtpd's queue plugins maildir, qmail-queue, qmqp.
 */
public class NextHopIs extends GenericMatcher {
    private static final AttributeName TYPE = AttributeName.of(RoutingAttributes.NEXT_HOP_TYPE);
    private Set<String> types;

    @Override
    public void init() throws MessagingException {
        String condition = getCondition();
        if (condition == null || condition.isBlank()) {
            throw new MessagingException("NextHopIs needs a condition: one or more of " + validTypes());
        }
        types = List.of(condition.split(",")).stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        for (String type : types) {
            if (!validTypes().contains(type)) {
                throw new MessagingException("NextHopIs: unknown next-hop type '" + type + "'; expected one of " + validTypes());
            }
        }
    }

    private static Set<String> validTypes() {
        return List.of(NextHop.Type.values()).stream().map(NextHop.Type::label).collect(Collectors.toSet());
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, TYPE, String.class)
            .filter(types::contains)
            .map(t -> mail.getRecipients())
            .orElse(List.of());
    }
}
