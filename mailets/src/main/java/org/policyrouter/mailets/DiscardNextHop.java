package org.policyrouter.mailets;

import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** For {@code discard} next hops: drops the mail, with the log line that says so. */
public class DiscardNextHop extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.delivery");

    @Override
    public void service(Mail mail) {
        mail.getRecipients().forEach(recipient -> LOGGER.info("{}: to=<{}>, relay=discard, status=discarded", mail.getName(), recipient.asString()));
        mail.setState(Mail.GHOST);
    }

    @Override
    public String getMailetInfo() {
        return "DiscardNextHop: discard next hops";
    }
}
