package org.policyrouter.matchers;

import java.util.Collection;
import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;

/**
 * Matches the recipients that match one of the patterns of the policy language (domain,
 * {@code *.wildcard}, {@code /regex/} searched in the whole address, {@code user@domain}),
 * separated by white space: {@code RecipientMatches=*.lists.example /^bounce-/}.
 */
public class RecipientMatches extends GenericMatcher {
    private AddressPatterns patterns;

    @Override
    public void init() throws MessagingException {
        patterns = AddressPatterns.parse("RecipientMatches", getCondition());
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        return mail.getRecipients().stream().filter(patterns::matches).collect(Collectors.toList());
    }
}
