package org.policyrouter.spool;

import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Attribute;
import org.apache.mailet.Mail;

/**
 * The mail a consumer gets when it takes a mail straight after it was spooled: built from the
 * enqueued mail and the body just stored, so it needs no read back and no JSON. It carries
 * exactly what the spool file carries (the attributes that were written), so a mail looks the
 * same whether it was handed over at once or read back after a restart.
 */
final class MailCopy {
    private MailCopy() {
    }

    static MailImpl of(Mail mail, List<Attribute> writtenAttributes, MimeMessageWrapper message) throws MessagingException {
        MailImpl.Builder builder = MailImpl.builder()
            .name(mail.getName())
            .state(mail.getState())
            .sender(mail.getMaybeSender())
            .addRecipients(mail.getRecipients())
            .addAllHeadersForRecipients(mail.getPerRecipientSpecificHeaders());
        if (mail.getErrorMessage() != null) {
            builder.errorMessage(mail.getErrorMessage());
        }
        if (mail.getRemoteHost() != null) {
            builder.remoteHost(mail.getRemoteHost());
        }
        if (mail.getRemoteAddr() != null) {
            builder.remoteAddr(mail.getRemoteAddr());
        }
        if (mail.getLastUpdated() != null) {
            builder.lastUpdated(mail.getLastUpdated());
        }
        for (Attribute attribute : writtenAttributes) {
            builder.addAttribute(attribute.duplicate());
        }
        MailImpl copy = builder.build();
        copy.setMessageNoCopy(message);
        return copy;
    }
}
