package org.policyrouter.mailets;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.MaildirLocation;
import org.policyrouter.policy.NextHop;

/**
 * The {@code queue/maildir [DIR [SUBDIRS [MODE]]]} next hop, qpsmtpd's queue/maildir plugin
 * ({@link MaildirLocation}): the message, with LF line ends as Maildir readers expect, a
 * {@code Return-Path} and a {@code Delivered-To} line on top, written into the Maildir by
 * {@link Maildir}. With SUBDIRS each recipient gets its own copy in its own Maildir and its own
 * outcome; without, one copy carries a {@code Delivered-To} per recipient. A failed write
 * (a full disk, no permission) is temporary: the mail is retried, as qpsmtpd answered 451.
 * A relative DIR is under James's working directory.
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=maildir" class="org.policyrouter.mailets.MaildirDelivery">
 *   <hostName>mx.example.com</hostName>   <!-- in the file names; default: this host's name -->
 * </mailet>
 * }</pre>
 */
public class MaildirDelivery extends GenericMailet {

    private final FileSystem fileSystem;
    private final MetricFactory metrics;
    private DeliveryOutcomes outcomes;
    private Maildir maildir;

    @Inject
    public MaildirDelivery(FileSystem fileSystem, MetricFactory metrics) {
        this.fileSystem = fileSystem;
        this.metrics = metrics;
    }

    @Override
    public void init() throws MessagingException {
        outcomes = DeliveryOutcomes.configuredFor(this, metrics);
        maildir = new Maildir(getInitParameterAsOptional("hostName").orElseGet(MaildirDelivery::localHostName));
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        String nextHop = RoutedNextHop.of(mail, getMailetName());
        MaildirLocation location = MaildirLocation.parse(NextHop.parse(nextHop, Optional.empty()).argv());
        RecipientOutcomes results;
        try {
            Path base = resolve(location.directory());
            if (location.perRecipient()) {
                results = new RecipientOutcomes();
                for (MailAddress recipient : mail.getRecipients()) {
                    results.put(recipient, deliver(mail, location, base, List.of(recipient)));
                }
            } else {
                results = RecipientOutcomes.of(mail.getRecipients(), deliver(mail, location, base, mail.getRecipients()));
            }
        } catch (IOException e) {
            results = RecipientOutcomes.of(mail.getRecipients(), RecipientOutcome.temporaryFailure("4.3.0 " + e.getMessage()));
        }
        outcomes.apply(mail, nextHop, results);
    }

    private Path resolve(String directory) throws IOException {
        return directory.startsWith("/") ? Path.of(directory) : fileSystem.getFile("file://" + directory).toPath();
    }

    private RecipientOutcome deliver(Mail mail, MaildirLocation location, Path base, Collection<MailAddress> recipients) {
        Path target;
        try {
            MailAddress first = recipients.iterator().next();
            target = location.forRecipient(base, first.getLocalPart(), first.getDomain().asString());
        } catch (IllegalArgumentException e) {
            return RecipientOutcome.permanentFailure("5.3.5 " + e.getMessage());
        }
        try {
            String name = maildir.deliver(target, location.mode(), out -> write(mail, recipients, out));
            return RecipientOutcome.delivered("delivered to maildir " + target + " as new/" + name);
        } catch (IOException e) {
            return RecipientOutcome.temporaryFailure("4.3.0 cannot deliver to maildir " + target + ": " + e);
        }
    }

    /** qpsmtpd's lines on top, then the message as received, LF line ends. */
    private static void write(Mail mail, Collection<MailAddress> recipients, OutputStream out) throws IOException {
        StringBuilder top = new StringBuilder("Return-Path: <").append(mail.getMaybeSender().asString("")).append(">\n");
        recipients.forEach(recipient -> top.append("Delivered-To: ").append(recipient.asString()).append('\n'));
        out.write(top.toString().getBytes(StandardCharsets.UTF_8));
        UnixMessage.writeTo(mail, out);
    }

    @Override
    public String getMailetInfo() {
        return "MaildirDelivery: queue/maildir next hops";
    }
}
