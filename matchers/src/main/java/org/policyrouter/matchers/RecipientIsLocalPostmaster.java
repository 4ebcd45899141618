package org.policyrouter.matchers;

import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;

/**
 * The recipients that are the postmaster of the mailet context ({@code <postmaster>} in
 * mailetcontainer.xml) when that address is in one of James's own domains, whether or not a user
 * of that name exists. James's PostmasterAlias turns postmaster at any of our domains into this
 * address; with this matcher the mail reaches the postmaster's mailbox instead of RecipientIsLocal
 * refusing it as an unknown user (RFC 5321 section 4.5.1: postmaster must receive mail).
 */
public class RecipientIsLocalPostmaster extends GenericMatcher {
    @Override
    public Collection<MailAddress> match(Mail mail) {
        MailAddress postmaster = getMailetContext().getPostmaster();
        if (postmaster == null || !getMailetContext().isLocalServer(postmaster.getDomain())) {
            return List.of();
        }
        return mail.getRecipients().stream()
            .filter(recipient -> recipient.getDomain().equals(postmaster.getDomain())
                && recipient.getLocalPart().equalsIgnoreCase(postmaster.getLocalPart()))
            .collect(Collectors.toList());
    }
}
