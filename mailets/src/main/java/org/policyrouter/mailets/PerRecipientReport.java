package org.policyrouter.mailets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;

import org.apache.james.core.MailAddress;

/**
 * Gives each recipient of an RFC 3464 report its own line: James's DSNBounce writes one reply (the
 * mail's {@code delivery-error}) for every recipient, and writes that whole reply as the
 * {@code Status} field. A report covering the recipients of several next hops (CollectFailures)
 * must show each one's own reply. The per-message fields DSNBounce wrote (Reporting-MTA,
 * Arrival-Date …), its text before the recipient list, and the attached original are kept as
 * they are; the recipient list of the text part and the per-recipient fields are written again:
 * {@code Status} is the enhanced status code of the reply (RFC 3463), {@code Diagnostic-Code} the
 * reply, of type {@code smtp} with a {@code Remote-MTA} when a next hop said it.
 */
final class PerRecipientReport {
    private static final Pattern ENHANCED_STATUS = Pattern.compile("(?<![0-9.])([245])\\.([0-9]{1,3})\\.([0-9]{1,3})(?![0-9.])");
    /** How the delivery agents write a remote reply: {@code host:port said: 550 5.1.1 …}. */
    private static final Pattern REMOTE_REPLY = Pattern.compile("^(\\S+) said: ([2-5][0-9][0-9][ -].*)$", Pattern.DOTALL);
    private static final Pattern RECIPIENT_LIST = Pattern.compile("(?m)^\\S+ recipient\\(s\\):$");
    private static final Pattern BASIC_CODE = Pattern.compile("^([45])[0-9][0-9][ -]");
    private static final DateTimeFormatter RFC_822 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

    private PerRecipientReport() {
    }

    /**
     * @param action as DSNBounce's {@code action} parameter: {@code failed}, {@code delayed} …
     * @param replies exact address → that recipient's reply; a recipient without one gets {@code lastReply}
     */
    static void rewrite(MimeMessage report, Collection<MailAddress> recipients, Map<String, String> replies, String lastReply,
                        String action, ZonedDateTime lastAttempt) throws MessagingException, IOException {
        MimeMultipart multipart = (MimeMultipart) report.getContent();
        boolean changed = false;
        for (int i = 0; i < multipart.getCount(); i++) {
            BodyPart part = multipart.getBodyPart(i);
            if (part.isMimeType("message/delivery-status")) {
                multipart.removeBodyPart(i);
                multipart.addBodyPart(statusPart(perMessageFields(text(part)), recipients, replies, lastReply, action, lastAttempt), i);
                changed = true;
            } else if (i == 0 && part.isMimeType("text/plain")) {
                multipart.removeBodyPart(i);
                multipart.addBodyPart(textPart(text(part), recipients, replies, lastReply, action), i);
                changed = true;
            }
        }
        if (changed) {
            report.setContent(multipart);
            report.saveChanges();
        }
    }

    /** RFC 3463's code in the reply; else the class of its SMTP code; else that of the action. */
    static String status(String reply, String action) {
        Matcher enhanced = ENHANCED_STATUS.matcher(reply);
        if (enhanced.find()) {
            return enhanced.group(1) + "." + enhanced.group(2) + "." + enhanced.group(3);
        }
        Matcher remote = REMOTE_REPLY.matcher(reply);
        Matcher basic = BASIC_CODE.matcher(remote.matches() ? remote.group(2) : reply);
        if (basic.find()) {
            return basic.group(1) + ".0.0";
        }
        return action.equalsIgnoreCase("failed") ? "5.0.0" : "4.0.0";
    }

    private static String text(BodyPart part) throws MessagingException, IOException {
        try (InputStream in = part.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** What DSNBounce wrote before its first recipient. */
    private static String perMessageFields(String status) {
        String normalized = status.replace("\r\n", "\n");
        int firstRecipient = normalized.indexOf("\nFinal-Recipient:");
        String fields = firstRecipient < 0 ? normalized : normalized.substring(0, firstRecipient);
        return fields.stripTrailing() + "\n";
    }

    private static MimeBodyPart statusPart(String perMessage, Collection<MailAddress> recipients, Map<String, String> replies,
                                           String lastReply, String action, ZonedDateTime lastAttempt) throws MessagingException {
        StringBuilder text = new StringBuilder(perMessage);
        for (MailAddress recipient : recipients) {
            String reply = oneLine(replies.getOrDefault(recipient.asString(), lastReply));
            text.append('\n');
            text.append("Final-Recipient: rfc822; ").append(recipient.asString()).append('\n');
            text.append("Action: ").append(action.toLowerCase(Locale.ROOT)).append('\n');
            text.append("Status: ").append(status(reply, action)).append('\n');
            Matcher remote = REMOTE_REPLY.matcher(reply);
            if (remote.matches()) {
                text.append("Remote-MTA: dns; ").append(withoutPort(remote.group(1))).append('\n');
                text.append("Diagnostic-Code: smtp; ").append(remote.group(2)).append('\n');
            } else {
                text.append("Diagnostic-Code: X-James; ").append(reply).append('\n');
            }
            text.append("Last-Attempt-Date: ").append(RFC_822.format(lastAttempt)).append('\n');
        }
        MimeBodyPart part = new MimeBodyPart();
        part.setContent(text.toString(), "text/plain");
        part.setHeader("Content-Type", "message/delivery-status");
        part.setDescription("Delivery Status Notification");
        part.setFileName("status.dat");
        return part;
    }

    private static MimeBodyPart textPart(String original, Collection<MailAddress> recipients, Map<String, String> replies,
                                         String lastReply, String action) throws MessagingException {
        String normalized = original.replace("\r\n", "\n");
        // DSNBounce's "Failed recipient(s):", then the addresses and one "Error message:"
        Matcher list = RECIPIENT_LIST.matcher(normalized);
        StringBuilder text = new StringBuilder();
        if (list.find()) {
            text.append(normalized, 0, list.start()).append(list.group()).append('\n');
        } else {
            text.append(normalized.stripTrailing()).append("\n\n").append(action).append(" recipient(s):\n");
        }
        for (MailAddress recipient : recipients) {
            text.append(recipient.asString()).append(": ").append(oneLine(replies.getOrDefault(recipient.asString(), lastReply))).append('\n');
        }
        MimeBodyPart part = new MimeBodyPart();
        part.setText(text.toString(), "UTF-8");
        return part;
    }

    /** {@code host:25} → {@code host}, {@code [::1]:2425} → {@code [::1]}: an MTA name has no port. */
    private static String withoutPort(String hostAndPort) {
        if (hostAndPort.startsWith("[")) {
            int end = hostAndPort.indexOf(']');
            return end < 0 ? hostAndPort : hostAndPort.substring(0, end + 1);
        }
        int colon = hostAndPort.indexOf(':');
        // one colon: host:port; more: an IPv6 address without brackets
        return colon > 0 && colon == hostAndPort.lastIndexOf(':') ? hostAndPort.substring(0, colon) : hostAndPort;
    }

    /** A remote reply may span lines; a report field may not. */
    private static String oneLine(String reply) {
        return reply == null ? "no reply recorded" : reply.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
