package org.policyrouter.mailets;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.transport.mailets.DSNBounce;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.policyrouter.spool.SpoolAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * James's DSNBounce (an RFC 3464 report from {@code <>} to the envelope sender, with the last
 * remote reply as Diagnostic-Code; nothing for a null-sender mail), logged with the mail's name
 * (which carries the queue ID) and counted. All of DSNBounce's parameters apply: {@code action} {@code failed} for the
 * non-delivery report, {@code delayed} for the delay warning.
 */
public class NonDeliveryReport extends DSNBounce {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    private final Metric bounced;

    @Inject
    public NonDeliveryReport(DNSService dns, MetricFactory metrics) {
        super(dns);
        this.bounced = metrics.generate("policyrouter.spool.bounced");
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        String name = mail.getName();
        boolean warning = "delayed".equalsIgnoreCase(getInitParameter("action", "failed"));
        String what = warning ? "delay warning" : "non-delivery report";
        if (mail.getMaybeSender().isNullSender()) {
            LOGGER.info("{}: no {}: the sender is <> (a bounce is never bounced)", name, what);
            super.service(mail);
            return;
        }
        reportWithoutSpoolBookkeeping(mail);
        if (!warning) {
            bounced.increment();
        }
        LOGGER.info("{}: {} sent from <> to <{}> for <{}>: {}", name, what, mail.getMaybeSender().asString(""),
            mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(">,<")),
            SpoolAttributes.lastError(mail).orElse("no error recorded"));
    }

    /**
     * DSNBounce copies the original's attributes into the report; the report is a new message in
     * the spool, so it must not start with the original's arrival time and attempt count (it
     * would expire at its first deferral).
     */
    private void reportWithoutSpoolBookkeeping(Mail mail) throws MessagingException {
        List<Attribute> bookkeeping = new ArrayList<>();
        for (AttributeName name : SpoolAttributes.LIFECYCLE) {
            mail.removeAttribute(name).ifPresent(bookkeeping::add);
        }
        try {
            super.service(mail);
        } finally {
            bookkeeping.forEach(mail::setAttribute);
        }
    }

    @Override
    public String getMailetInfo() {
        return "NonDeliveryReport: DSNBounce with spool logging";
    }
}
