package org.policyrouter.mailets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.SendFailedException;
import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.policyrouter.policy.RelayHost;

import com.sun.mail.smtp.SMTPAddressFailedException;
import com.sun.mail.smtp.SMTPSendFailedException;
import com.sun.mail.smtp.SMTPTransport;

/**
 * Delivers one message to one SMTP next hop with JavaMail (EHLO, SIZE, 8BITMIME, opportunistic
 * STARTTLS), trying the given hosts in order until one accepts a connection, and reports an
 * outcome per recipient.
 */
public final class SmtpRelayClient {
    private final Duration connectTimeout;
    private final Duration commandTimeout;
    private final Optional<String> heloName;

    public SmtpRelayClient(Duration connectTimeout, Duration commandTimeout, Optional<String> heloName) {
        this.connectTimeout = connectTimeout;
        this.commandTimeout = commandTimeout;
        this.heloName = heloName;
    }

    RecipientOutcomes deliver(List<RelayHost> hostsInOrder, MaybeSender sender, Collection<MailAddress> recipients, MimeMessage message) {
        List<String> connectFailures = new ArrayList<>();
        for (RelayHost host : hostsInOrder) {
            Session session = Session.getInstance(properties(host, sender));
            try (SMTPTransport transport = (SMTPTransport) session.getTransport("smtp")) {
                try {
                    transport.connect(host.host(), host.port(), null, null);
                } catch (MessagingException e) {
                    // the next host is only tried when this one does not answer at all
                    connectFailures.add(host + ": " + describe(e));
                    continue;
                }
                return send(transport, host, recipients, envelopeMessage(session, transport, message));
            } catch (MessagingException e) {
                return allRecipients(recipients, RecipientOutcome.temporaryFailure(host + ": " + describe(e)));
            }
        }
        return allRecipients(recipients, RecipientOutcome.temporaryFailure("connect failed: " + String.join("; ", connectFailures)));
    }

    /** The message as sent, with the MAIL FROM parameters this next hop understands. */
    private static MimeMessage envelopeMessage(Session session, SMTPTransport transport, MimeMessage message) throws MessagingException {
        StreamedMessage streamed = new StreamedMessage(session, message);
        List<String> parameters = new ArrayList<>();
        if (transport.supportsExtension("8BITMIME")) {
            parameters.add("BODY=8BITMIME");
        }
        long size = approximateSize(message);
        if (transport.supportsExtension("SIZE") && size > 0) {
            parameters.add("SIZE=" + size);
        }
        if (!parameters.isEmpty()) {
            streamed.setMailExtension(String.join(" ", parameters));
        }
        return streamed;
    }

    /** RFC 1870 wants the whole message: header lines plus body (getSize() is the body only). */
    private static long approximateSize(MimeMessage message) throws MessagingException {
        long size = Math.max(0, message.getSize()) + 2;
        java.util.Enumeration<String> lines = message.getAllHeaderLines();
        while (lines.hasMoreElements()) {
            size += lines.nextElement().length() + 2;
        }
        return size;
    }

    private RecipientOutcomes send(SMTPTransport transport, RelayHost host, Collection<MailAddress> recipients, MimeMessage message) {
        Address[] addresses = recipients.stream().map(MailAddress::toInternetAddress).flatMap(Optional::stream).toArray(Address[]::new);
        try {
            transport.sendMessage(message, addresses);
            return allRecipients(recipients, RecipientOutcome.delivered(host + " said: " + transport.getLastServerResponse().trim()));
        } catch (SendFailedException e) {
            return perRecipient(host, recipients, e, transport);
        } catch (MessagingException e) {
            return allRecipients(recipients, RecipientOutcome.temporaryFailure(host + ": " + describe(e)));
        }
    }

    private RecipientOutcomes perRecipient(RelayHost host, Collection<MailAddress> recipients,
                                           SendFailedException failure, SMTPTransport transport) {
        Map<String, RecipientOutcome> byAddress = new LinkedHashMap<>();
        RecipientOutcome whole = null;
        for (Exception e = failure; e != null; e = e instanceof MessagingException ? ((MessagingException) e).getNextException() : null) {
            if (e instanceof SMTPAddressFailedException) {
                SMTPAddressFailedException rcpt = (SMTPAddressFailedException) e;
                // the address exactly as sent: case@x and CASE@x are two recipients (RFC 5321 2.4)
                byAddress.put(exact(rcpt.getAddress().getAddress()),
                    RecipientOutcome.fromSmtpReply(rcpt.getReturnCode(), host + " said: " + rcpt.getMessage().trim()));
            } else if (e instanceof SMTPSendFailedException && whole == null) {
                // MAIL FROM, DATA or end-of-data refused: it applies to every recipient not refused alone
                SMTPSendFailedException send = (SMTPSendFailedException) e;
                whole = RecipientOutcome.fromSmtpReply(send.getReturnCode(), host + " said: " + send.getMessage().trim());
            }
        }
        boolean sent = failure.getValidSentAddresses() != null && failure.getValidSentAddresses().length > 0;
        RecipientOutcomes outcomes = new RecipientOutcomes();
        for (MailAddress recipient : recipients) {
            RecipientOutcome outcome = byAddress.get(recipient.asString());
            if (outcome == null) {
                if (whole != null) {
                    outcome = whole;
                } else if (sent && wasSent(failure, recipient)) {
                    outcome = RecipientOutcome.delivered(host + " said: " + transport.getLastServerResponse().trim());
                } else {
                    outcome = RecipientOutcome.temporaryFailure(host + ": " + describe(failure));
                }
            }
            outcomes.put(recipient, outcome);
        }
        return outcomes;
    }

    private static boolean wasSent(SendFailedException failure, MailAddress recipient) {
        for (Address address : failure.getValidSentAddresses()) {
            if (address instanceof InternetAddress && exact(((InternetAddress) address).getAddress()).equals(recipient.asString())) {
                return true;
            }
        }
        return false;
    }

    private Properties properties(RelayHost host, MaybeSender sender) {
        Properties props = new Properties();
        props.put("mail.smtp.host", host.host());
        props.put("mail.smtp.port", String.valueOf(host.port()));
        props.put("mail.smtp.connectiontimeout", String.valueOf(connectTimeout.toMillis()));
        props.put("mail.smtp.timeout", String.valueOf(commandTimeout.toMillis()));
        props.put("mail.smtp.writetimeout", String.valueOf(commandTimeout.toMillis()));
        props.put("mail.smtp.from", sender.asOptional().map(MailAddress::asString).orElse("<>"));
        // deliver to the recipients the next hop accepts, report the others one by one
        props.put("mail.smtp.sendpartial", "true");
        props.put("mail.smtp.starttls.enable", "true");
        props.put("mail.smtp.ssl.trust", "*");
        // never let JavaMail re-encode the body (it would rewrite quoted-printable parts as 8bit)
        props.put("mail.smtp.allow8bitmime", "false");
        heloName.ifPresent(name -> props.put("mail.smtp.localhost", name));
        return props;
    }

    private static RecipientOutcomes allRecipients(Collection<MailAddress> recipients, RecipientOutcome outcome) {
        return RecipientOutcomes.of(recipients, outcome);
    }

    /** As {@link MailAddress#asString()} writes it: local part as is, domain in lower case. */
    private static String exact(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? address : address.substring(0, at) + address.substring(at).toLowerCase(java.util.Locale.ROOT);
    }

    private static String describe(Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().trim();
        return root == e ? message : message + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }
}
