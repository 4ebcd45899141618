package org.policyrouter.mailets;

import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.spool.SpoolAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Ends an undeliverable mail's life when archiving is off, leaving a log line with its name (which carries the queue ID). */
public class Drop extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    private final Metric dropped;

    @Inject
    public Drop(MetricFactory metrics) {
        this.dropped = metrics.generate("policyrouter.spool.dropped");
    }

    @Override
    public void service(Mail mail) {
        dropped.increment();
        LOGGER.info("{}: dropped, from=<{}>, to=<{}>, last error: {}", mail.getName(), mail.getMaybeSender().asString(""),
            mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(">,<")),
            SpoolAttributes.lastError(mail).orElse("no error recorded"));
        mail.setState(Mail.GHOST);
    }

    @Override
    public String getMailetInfo() {
        return "Drop: discards an undeliverable mail with a log line";
    }
}
