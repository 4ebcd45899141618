package org.policyrouter.spool.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The queue as text, after Postfix's mailq: one block per mail, oldest first (queue ID, state, arrival,
 * sender; the last error in parentheses; the recipients), then the totals and, like qshape, the
 * recipients waiting per domain.
 */
final class MailqReport {
    private static final String FORMAT = "%-26s %-9s %-21s %s%n";
    /** Where the sender column starts: the widths above and their separating spaces. */
    private static final String INDENT = " ".repeat(26 + 1 + 9 + 1 + 21 + 1);

    private MailqReport() {
    }

    static String of(JsonNode mails) {
        if (mails.isEmpty()) {
            return "Mail queue is empty\n";
        }
        StringBuilder out = new StringBuilder(String.format(FORMAT, "-Queue ID-", "-State-", "-Arrival-", "-Sender/Recipient-"));
        Map<String, Integer> byDomain = new TreeMap<>();
        int recipients = 0;
        List<JsonNode> byArrival = new ArrayList<>();
        mails.forEach(byArrival::add);
        byArrival.sort(Comparator.comparing((JsonNode mail) -> mail.path("arrival").asText("")).thenComparing(mail -> mail.path("name").asText()));
        for (JsonNode mail : byArrival) {
            out.append(String.format(FORMAT, mail.path("name").asText(), mail.path("state").asText(), time(mail.path("arrival")),
                sender(mail)));
            if (!mail.path("lastError").isNull() && !mail.path("lastError").isMissingNode()) {
                out.append(INDENT).append('(').append(oneLine(mail.path("lastError").asText())).append(")\n");
            }
            for (JsonNode recipient : mail.path("recipients")) {
                out.append(INDENT).append(recipient.asText()).append('\n');
                String address = recipient.asText();
                byDomain.merge(address.substring(address.lastIndexOf('@') + 1).toLowerCase(java.util.Locale.ROOT), 1, Integer::sum);
                recipients++;
            }
            out.append('\n');
        }
        out.append("-- ").append(mails.size()).append(mails.size() == 1 ? " mail, " : " mails, ").append(recipients)
            .append(recipients == 1 ? " recipient" : " recipients").append('\n');
        out.append("by domain:");
        byDomain.forEach((domain, count) -> out.append(' ').append(domain).append(' ').append(count));
        return out.append('\n').toString();
    }

    /** Every field of each mail of one message. */
    static String details(JsonNode mails) {
        StringBuilder out = new StringBuilder();
        for (JsonNode mail : mails) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = mail.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                JsonNode value = field.getValue();
                out.append(field.getKey()).append(": ").append(value.isTextual() ? oneLine(value.asText()) : value.toString()).append('\n');
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String sender(JsonNode mail) {
        String sender = mail.path("sender").asText("");
        return sender.isEmpty() ? "<>" : sender;
    }

    /** 2026-12-02T14:01:02.123Z → 2026-12-02 14:01:02Z */
    private static String time(JsonNode instant) {
        String text = instant.asText("");
        return text.length() >= 19 ? text.substring(0, 10) + " " + text.substring(11, 19) + "Z" : text;
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ").strip();
    }
}
