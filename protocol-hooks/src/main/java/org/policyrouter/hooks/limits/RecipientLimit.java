package org.policyrouter.hooks.limits;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.RecipientList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most {@code maxRecipients} recipients per message, like Postfix's {@code
 * smtpd_recipient_limit} (default 1000): the next RCPT gets {@code 452 4.5.3 Too many recipients}
 * (RFC 5321 section 4.5.3.1.10: the client sends the rest in another transaction). One log line per
 * message, not per refused recipient. It also keeps James from rebuilding the recipient list as a
 * string for each line it reads, which made a transaction's cost grow with the square of its
 * recipients (see {@link RecipientList}).
 *
 * <pre>
 * &lt;handler class="org.policyrouter.hooks.limits.RecipientLimit"&gt;
 *     &lt;maxRecipients&gt;1000&lt;/maxRecipients&gt;
 * &lt;/handler&gt;
 * </pre>
 *
 * Put it first among the handlers: a RcptHook that answers OK (an spp plugin, rcpt_ok) skips the
 * hooks after it. James's own {@code MaxRcptHandler} answers {@code 452 4.5.3} as well, but logs
 * every refused recipient and leaves the quadratic logging context.
 */
public class RecipientLimit implements RcptHook {
    static final int DEFAULT_MAX_RECIPIENTS = 1000;
    /** RFC 5321 4.5.3.1.8: a server must take at least 100 recipients. */
    static final int SMALLEST = 100;
    private static final Logger LOGGER = LoggerFactory.getLogger(RecipientLimit.class);
    private static final AttachmentKey<Boolean> LOGGED = AttachmentKey.of("policyrouter.recipient-limit-logged", Boolean.class);
    private static final HookResult TOO_MANY = HookResult.builder()
        .hookReturnCode(HookReturnCode.deny())
        .smtpReturnCode("452")
        .smtpDescription("4.5.3 Too many recipients")
        .build();

    private int maxRecipients = DEFAULT_MAX_RECIPIENTS;

    @Override
    public void init(Configuration configuration) throws ConfigurationException {
        try {
            maxRecipients = Options.fromXml(configuration).integer("maxRecipients", DEFAULT_MAX_RECIPIENTS);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(getClass().getName() + ": " + e.getMessage(), e);
        }
        if (maxRecipients < SMALLEST) {
            throw new ConfigurationException(getClass().getName() + ": maxRecipients " + maxRecipients
                + " is below RFC 5321's minimum of " + SMALLEST);
        }
    }

    int maxRecipients() {
        return maxRecipients;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        RecipientList.useIn(session);
        if (session.getRcptCount() < maxRecipients) {
            return HookResult.DECLINED;
        }
        if (session.getAttachment(LOGGED, State.Transaction).isEmpty()) {
            session.setAttachment(LOGGED, true, State.Transaction);
            LOGGER.info("{}: recipient limit of {} reached, further recipients of this message refused with 452 ({})",
                session.getSessionID(), maxRecipients, session.getRemoteAddress().getAddress().getHostAddress());
        }
        return TOO_MANY;
    }
}
