package org.policyrouter.spool;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;

/**
 * Copies of a mail that a mailet sends on separately (one per next hop, the recipients that
 * failed). Named by the caller, so the copies of message {@code Q} are {@code Q.1}, {@code Q.2} …
 * and a grep for the queue ID finds them all. A copy of a message the spool handed out, still as
 * received, shares its stored body (no copy in memory, and the spool writes only an envelope for
 * it). The caller disposes of its copy once it has been sent on ({@code LifecycleUtil.dispose}):
 * the queue keeps what it needs.
 */
public final class MailCopies {
    private MailCopies() {
    }

    public static Mail duplicate(Mail mail, String name) throws MessagingException {
        MimeMessage message = mail.getMessage();
        MailImpl copy;
        if (message instanceof SpooledMessage && ((SpooledMessage) message).isAsReceived()) {
            copy = MailImpl.duplicateWithoutMessage(mail).build();
            copy.setMessageNoCopy(((SpooledMessage) message).share());
        } else {
            copy = MailImpl.duplicate(mail);
        }
        copy.setName(name);
        copy.setState(mail.getState());
        return copy;
    }
}
