package org.policyrouter.mailets;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.apache.mailet.base.test.FakeMailContext;

/**
 * James's FakeMailContext, plus what its SentMail forgets: the name of each mail a mailet sends
 * on with {@code sendMail(mail, state)}, and the mail object itself, to check that the mailet
 * disposed of its copy afterwards.
 */
final class RecordingMailetContext {
    /** One {@code sendMail(mail, state)}, as the mail was at the call. */
    static final class Sent {
        final String name;
        final String state;
        final List<MailAddress> recipients;
        final Mail mail;

        Sent(String name, String state, List<MailAddress> recipients, Mail mail) {
            this.name = name;
            this.state = state;
            this.recipients = recipients;
            this.mail = mail;
        }

        /** James's MailImpl drops its message when disposed. */
        boolean disposed() throws MessagingException {
            return mail.getMessage() == null;
        }

        @Override
        public String toString() {
            return name + " -> " + state + " " + recipients;
        }
    }

    final FakeMailContext fake = FakeMailContext.defaultContext();
    final List<Sent> sent = new CopyOnWriteArrayList<>();
    final MailetContext context = (MailetContext) Proxy.newProxyInstance(MailetContext.class.getClassLoader(),
        new Class<?>[] {MailetContext.class}, (proxy, method, args) -> {
            if (method.getName().equals("sendMail") && args != null && args.length == 2 && args[0] instanceof Mail && args[1] instanceof String) {
                Mail mail = (Mail) args[0];
                sent.add(new Sent(mail.getName(), (String) args[1], List.copyOf(mail.getRecipients()), mail));
            }
            try {
                return method.invoke(fake, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
}
