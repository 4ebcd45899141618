package org.policyrouter.matchers;

import java.util.Collection;
import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;

/**
 * Matches every recipient of a mail whose envelope sender matches one of the patterns of the
 * policy language: {@code SenderMatches=*.servers.example /^root@/}. The null sender never matches.
 */
public class SenderMatches extends GenericMatcher {
    private AddressPatterns patterns;

    @Override
    public void init() throws MessagingException {
        patterns = AddressPatterns.parse("SenderMatches", getCondition());
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        return mail.getMaybeSender().asOptional().filter(patterns::matches).map(s -> mail.getRecipients()).orElse(List.of());
    }
}
