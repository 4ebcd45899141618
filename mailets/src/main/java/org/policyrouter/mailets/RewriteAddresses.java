package org.policyrouter.mailets;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.policyrouter.core.LogText;
import org.policyrouter.policy.PolicyTables;
import org.policyrouter.policy.RoutingAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the {@code rewrite} table before any routing: from/both rules to the envelope sender,
 * to/both rules to the recipients, and with {@code rewriteHeaders} on, the same rules to the
 * addresses in From: (sender side), To: and Cc: (recipient side), changing only the addresses.
 * Each changed recipient's original address is kept in {@code org.policyrouter.original-recipients}
 * (pipes see it as ORIGINAL_RECIPIENT).
 *
 * <pre>{@code
 * <mailet match="All" class="org.policyrouter.mailets.RewriteAddresses">
 *   <rewriteHeaders>false</rewriteHeaders>   <!-- default -->
 * </mailet>
 * }</pre>
 * Parameters also: those of every policy mailet ({@code policyDirectory}, {@code reloadInterval}).
 */
public class RewriteAddresses extends PolicyMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(RewriteAddresses.class);
    private static final AttributeName ORIGINAL_RECIPIENTS = AttributeName.of(RoutingAttributes.ORIGINAL_RECIPIENTS);
    private boolean rewriteHeaders;

    @Inject
    public RewriteAddresses(FileSystem fileSystem, PolicyDirectories directories) {
        super(fileSystem, directories);
    }

    /** With tables of its own (tests). */
    public RewriteAddresses(FileSystem fileSystem) {
        this(fileSystem, new PolicyDirectories());
    }

    @Override
    void initPolicyMailet() {
        rewriteHeaders = getInitParameter("rewriteHeaders", false);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        PolicyTables tables = tables();
        if (tables.rewrite().rules().isEmpty()) {
            return;
        }
        rewriteSender(mail, tables);
        rewriteRecipients(mail, tables);
        if (rewriteHeaders && HeaderAddressRewriter.rewrite(mail.getMessage(), tables::rewriteSender, tables::rewriteRecipient)) {
            LOGGER.debug("{}: header addresses rewritten", mail.getName());
        }
    }

    private void rewriteSender(Mail mail, PolicyTables tables) throws MessagingException {
        if (mail.getMaybeSender().isNullSender()) {
            return;
        }
        String sender = mail.getMaybeSender().get().asString();
        String rewritten = tables.rewriteSender(sender);
        if (rewritten.equalsIgnoreCase(sender)) {
            return;
        }
        if (!(mail instanceof MailImpl)) {
            throw new MessagingException("RewriteAddresses: cannot change the sender of a " + mail.getClass().getName());
        }
        ((MailImpl) mail).setSender(new MailAddress(rewritten));
        LOGGER.info("{}: from=<{}> rewritten to <{}>", mail.getName(), LogText.escape(sender), LogText.escape(rewritten));
    }

    /**
     * One table lookup per recipient. Recipients that end up identical are kept once; recipients
     * that differ only in case stay two (RFC 5321 2.4: a local part is case-sensitive), which a set
     * of James's MailAddress (equal ignoring case) would merge.
     */
    private void rewriteRecipients(Mail mail, PolicyTables tables) throws MessagingException {
        Map<String, MailAddress> recipients = new LinkedHashMap<>();
        Map<String, AttributeValue<?>> originals = new HashMap<>();
        boolean changed = false;
        for (MailAddress recipient : mail.getRecipients()) {
            String rewritten = tables.rewriteRecipient(recipient.asString());
            if (rewritten.equalsIgnoreCase(recipient.asString())) {
                recipients.putIfAbsent(recipient.asString(), recipient);
                continue;
            }
            MailAddress newRecipient = new MailAddress(rewritten);
            recipients.putIfAbsent(newRecipient.asString(), newRecipient);
            originals.put(newRecipient.asString(), AttributeValue.of(recipient.asString()));
            changed = true;
            LOGGER.info("{}: to=<{}> rewritten to <{}>", mail.getName(), LogText.escape(recipient.asString()), LogText.escape(rewritten));
        }
        if (changed) {
            mail.setRecipients(new ArrayList<>(recipients.values()));
            mail.setAttribute(new Attribute(ORIGINAL_RECIPIENTS, AttributeValue.of(originals)));
        }
    }


    @Override
    public String getMailetInfo() {
        return "RewriteAddresses: the rewrite table on envelope (and optionally header) addresses";
    }
}
