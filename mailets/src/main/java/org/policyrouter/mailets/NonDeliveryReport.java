package org.policyrouter.mailets;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;

import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.transport.mailets.DSNBounce;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.policyrouter.spool.SpoolAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * James's DSNBounce (an RFC 3464 report from {@code <>} to the envelope sender; nothing for a
 * null-sender mail), logged with the mail's name (which carries the queue ID) and counted, with
 * one line per recipient giving that recipient's own reply ({@link PerRecipientReport}: a report
 * may cover the recipients of several next hops). All of DSNBounce's parameters apply:
 * {@code action} {@code failed} for the non-delivery report, {@code delayed} for the delay warning.
 *
 * <p>An original larger than {@code attachmentSizeLimit} (default 50,000 bytes, Postfix's
 * {@code bounce_size_limit}) is reported with its headers only ({@code text/rfc822-headers}, as
 * for {@code RET=HDRS}), whatever {@code attachment} and the sender's {@code RET} say: a report
 * carrying a 50 MB original doubles the spool's use exactly when it is draining a backlog.
 * {@code 0} removes the limit.
 *
 * <p>A report that cannot be queued (a full disk) fails the mailet, so that the mail stays in the
 * spool and is reported later (do not set {@code onMailetException} to {@code ignore}: the report
 * would be lost); a report that cannot be built is logged at ERROR and the mail goes on.
 *
 * <pre>{@code
 * <mailet match="All" class="org.policyrouter.mailets.NonDeliveryReport">
 *   <passThrough>true</passThrough>
 *   <attachmentSizeLimit>50000</attachmentSizeLimit>   <!-- bytes; K, M, G suffixes; 0: no limit -->
 * </mailet>
 * }</pre>
 */
public class NonDeliveryReport extends DSNBounce {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    static final long DEFAULT_ATTACHMENT_SIZE_LIMIT = 50_000;
    /** Ours, not the report's: a report inheriting them would start as a loop, or as gathered. */
    private static final List<AttributeName> ROUTING_BOOKKEEPING = List.of(NextHopProcessor.HOPS, RecipientErrors.NAME,
        CollectFailures.REPORT_AT);
    /** The failed mail whose report DSNBounce is building on this thread, as it was before. */
    private final ThreadLocal<Failed> reporting = new ThreadLocal<>();
    private final Metric bounced;
    private long attachmentSizeLimit;

    @Inject
    public NonDeliveryReport(DNSService dns, MetricFactory metrics) {
        super(dns);
        this.bounced = metrics.generate("policyrouter.spool.bounced");
    }

    @Override
    public void init() throws MessagingException {
        super.init();
        attachmentSizeLimit = MailetParameters.size(this, "attachmentSizeLimit", DEFAULT_ATTACHMENT_SIZE_LIMIT);
    }

    @Override
    public Set<String> getAllowedInitParameters() {
        return ImmutableSet.<String>builder().addAll(super.getAllowedInitParameters()).add("attachmentSizeLimit").build();
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
        try {
            reportWithoutSpoolBookkeeping(mail);
        } catch (ReportNotQueued e) {
            // the report was built but could not be queued (a full disk): the mail stays in the spool
            // to report again later, never dropped without its report
            throw e;
        } catch (MessagingException | RuntimeException e) {
            // a report that cannot be built now never will be: retrying would only repeat this line
            LOGGER.error("{}: no {} to <{}>: it cannot be built: {}", name, what, mail.getMaybeSender().asString(""), e.toString());
            if (!getInitParameters().getPassThrough()) {
                mail.setState(Mail.GHOST);
            }
            return;
        }
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
        Failed failed = new Failed(mail);
        List<Attribute> bookkeeping = new ArrayList<>();
        for (AttributeName name : SpoolAttributes.LIFECYCLE) {
            mail.removeAttribute(name).ifPresent(bookkeeping::add);
        }
        for (AttributeName name : ROUTING_BOOKKEEPING) {
            mail.removeAttribute(name).ifPresent(bookkeeping::add);
        }
        Optional<DsnParameters> asSent = mail.dsnParameters();
        boolean headersOnly = attachmentSizeLimit > 0 && mail.getMessageSize() > attachmentSizeLimit;
        if (headersOnly) {
            mail.setDsnParameters(DsnParameters.of(asSent.flatMap(DsnParameters::getEnvIdParameter), Optional.of(DsnParameters.Ret.HDRS),
                asSent.map(DsnParameters::getRcptParameters).orElse(ImmutableMap.of())).orElseThrow());
        }
        reporting.set(failed);
        try {
            super.service(mail);
        } finally {
            reporting.remove();
            bookkeeping.forEach(mail::setAttribute);
            if (headersOnly) {
                DsnParameters.DsnAttributeValues.forEachDsnAttributeName(mail::removeAttribute);
                asSent.ifPresent(mail::setDsnParameters);
            }
        }
    }

    /**
     * DSNBounce sends its report through the mailet context: the report is given its per-recipient
     * lines on the way.
     */
    @Override
    public MailetContext getMailetContext() {
        MailetContext context = super.getMailetContext();
        Failed failed = reporting.get();
        if (failed == null) {
            return context;
        }
        return (MailetContext) Proxy.newProxyInstance(MailetContext.class.getClassLoader(), new Class<?>[] {MailetContext.class},
            (proxy, method, args) -> {
                boolean sending = method.getName().equals("sendMail") && args != null && args.length == 1 && args[0] instanceof Mail;
                if (sending) {
                    addPerRecipientLines((Mail) args[0], failed);
                }
                try {
                    return method.invoke(context, args);
                } catch (InvocationTargetException e) {
                    if (sending) {
                        throw new ReportNotQueued(e.getCause());
                    }
                    throw e.getCause();
                }
            });
    }

    private void addPerRecipientLines(Mail report, Failed failed) {
        try {
            PerRecipientReport.rewrite(report.getMessage(), failed.recipients, failed.replies, failed.lastReply,
                getInitParameter("action", "failed"), ZonedDateTime.ofInstant(failed.lastAttempt.toInstant(), ZoneId.systemDefault()));
        } catch (MessagingException | IOException | RuntimeException e) {
            // DSNBounce's own report, with one reply for all, is still better than none
            LOGGER.warn("{}: report sent without per-recipient replies: {}", failed.name, e.toString());
        }
    }

    /** The report was built, and queuing it failed: a local, passing problem such as a full disk. */
    static final class ReportNotQueued extends MessagingException {
        private static final long serialVersionUID = 1L;

        ReportNotQueued(Throwable cause) {
            super("the report could not be queued: " + cause.getMessage(), cause instanceof Exception ? (Exception) cause : null);
        }
    }

    /** What the report is about, read before DSNBounce sees the mail without our attributes. */
    private static final class Failed {
        final String name;
        final List<MailAddress> recipients;
        final Map<String, String> replies;
        final String lastReply;
        final Date lastAttempt;

        Failed(Mail mail) {
            this.name = mail.getName();
            this.recipients = List.copyOf(mail.getRecipients());
            this.replies = RecipientErrors.of(mail);
            this.lastReply = SpoolAttributes.lastError(mail).orElse("no reply recorded");
            this.lastAttempt = mail.getLastUpdated() == null ? new Date() : mail.getLastUpdated();
        }
    }

    @Override
    public String getMailetInfo() {
        return "NonDeliveryReport: DSNBounce with spool logging";
    }
}
