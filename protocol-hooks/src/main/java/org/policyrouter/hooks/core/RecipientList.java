package org.policyrouter.hooks.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.core.MailAddress;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPSession;

/**
 * The transaction's recipient list ({@code SMTPSession.RCPT_LIST}) with a short {@code toString}.
 *
 * <p>James 3.8.1 builds the logging context of every line it reads
 * ({@code SMTPMDCContextFactory}, called from {@code BasicChannelInboundHandler.channelRead}) with
 * the whole recipient list as a string: each RCPT and each DATA line costs time proportional to the
 * recipients so far, which makes a transaction quadratic (50,000 RCPTs: 90 s; 1,000 recipients and a
 * 10 MB body: gigabytes of strings). James adds to whatever list it finds in the session, so this
 * swaps in an identical list whose string is bounded.
 */
public final class RecipientList extends ArrayList<MailAddress> {
    private static final long serialVersionUID = 1L;
    private static final int SHOWN = 3;

    private RecipientList(Collection<MailAddress> recipients) {
        super(recipients);
    }

    /**
     * Called for each RCPT before James adds the recipient. Only a list James made is replaced: an
     * empty list put there by us would make DATA accept a transaction whose recipients were all
     * refused (James checks that the list exists, not that it has recipients).
     */
    public static void useIn(SMTPSession session) {
        session.getAttachment(SMTPSession.RCPT_LIST, State.Transaction)
            .filter(list -> !(list instanceof RecipientList) && !list.isEmpty())
            .ifPresent(list -> session.setAttachment(SMTPSession.RCPT_LIST, new RecipientList(list), State.Transaction));
    }

    @Override
    public String toString() {
        if (size() <= SHOWN) {
            return super.toString();
        }
        List<MailAddress> first = subList(0, SHOWN);
        return first.stream().map(MailAddress::asString).collect(Collectors.joining(", ", "[", ", ... " + size() + " recipients]"));
    }
}
