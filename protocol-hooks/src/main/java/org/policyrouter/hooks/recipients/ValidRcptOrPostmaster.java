package org.policyrouter.hooks.recipients;

import java.util.Locale;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.rrt.api.RecipientRewriteTable;
import org.apache.james.rrt.api.RecipientRewriteTableException;
import org.apache.james.smtpserver.fastfail.ValidRcptHandler;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.user.api.UsersRepositoryException;

/**
 * James's {@link ValidRcptHandler} (unknown local users get {@code 550 5.1.1 Unknown user}), except
 * that postmaster, in any case, is a valid recipient in every domain of James's domain list
 * whether or not such a user exists: RFC 5321 section 4.5.1 requires {@code RCPT TO:<postmaster>}
 * and postmaster at each of our domains to be accepted, and qpsmtpd accepts them. James turns a
 * bare {@code <postmaster>} into postmaster at its default domain before the hooks run; its
 * mailet container's PostmasterAlias then hands such mail to the configured postmaster.
 *
 * <pre>
 * &lt;handler class="org.policyrouter.hooks.recipients.ValidRcptOrPostmaster"/&gt;   &lt;!-- instead of ValidRcptHandler --&gt;
 * </pre>
 *
 * It answers DECLINED for postmaster, never OK, so the checks after it (James's relay check) still run.
 */
public class ValidRcptOrPostmaster extends ValidRcptHandler {
    static final String POSTMASTER = "postmaster";

    @Inject
    public ValidRcptOrPostmaster(UsersRepository users, RecipientRewriteTable recipientRewriteTable, DomainList domains) {
        super(users, recipientRewriteTable, domains);
    }

    /** Called for recipients in James's own domains only. */
    @Override
    protected boolean isValidRecipient(SMTPSession session, MailAddress recipient) throws UsersRepositoryException, RecipientRewriteTableException {
        return isPostmaster(recipient) || super.isValidRecipient(session, recipient);
    }

    static boolean isPostmaster(MailAddress recipient) {
        return recipient.getLocalPart().toLowerCase(Locale.ROOT).equals(POSTMASTER);
    }
}
