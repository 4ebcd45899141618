package org.policyrouter.spool;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import java.util.stream.Collectors;
import java.util.List;
import java.util.Optional;

import org.apache.james.mailrepository.api.MailKey;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the spool keeps in memory about one stored mail: the envelope and the retry bookkeeping,
 * never the message body. This is the index the spool runner schedules from and WebAdmin lists.
 */
public final class StoredMail {
    private final MailKey key;
    private final String fileName;
    private final Optional<String> sender;
    private final List<String> recipients;
    private final String queueId;
    private final Optional<Long> arrival;
    private final int retries;
    private final Optional<Long> nextAttempt;
    private final Optional<String> lastError;

    private StoredMail(MailKey key, String fileName, Optional<String> sender, List<String> recipients, String queueId,
                       Optional<Long> arrival, int retries, Optional<Long> nextAttempt, Optional<String> lastError) {
        this.key = key;
        this.fileName = fileName;
        this.sender = sender;
        this.recipients = recipients;
        this.queueId = queueId;
        this.arrival = arrival;
        this.retries = retries;
        this.nextAttempt = nextAttempt;
        this.lastError = lastError;
    }

    static StoredMail of(String fileName, SpoolEnvelope envelope) {
        return new StoredMail(new MailKey(envelope.name()), fileName, envelope.sender(), envelope.recipients(),
            envelope.attributeValue(SpoolAttributes.QUEUE_ID).map(JsonNode::asText).orElse(envelope.name()),
            envelope.attributeValue(SpoolAttributes.ARRIVAL).map(JsonNode::asLong),
            envelope.attributeValue(SpoolAttributes.RETRIES).map(JsonNode::asInt).orElse(0),
            envelope.attributeValue(SpoolAttributes.NEXT_ATTEMPT).map(JsonNode::asLong),
            envelope.attributeValue(SpoolAttributes.DELIVERY_ERROR).map(JsonNode::asText).or(envelope::errorMessage));
    }

    /** The same entry built from the mail being stored, without parsing back the envelope just written. */
    static StoredMail of(String fileName, Mail mail) {
        return new StoredMail(MailKey.forMail(mail), fileName,
            mail.getMaybeSender().asOptional().map(MailAddress::asString),
            mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.toUnmodifiableList()),
            SpoolAttributes.queueId(mail), SpoolAttributes.arrival(mail), SpoolAttributes.retries(mail),
            SpoolAttributes.nextAttempt(mail), SpoolAttributes.lastError(mail));
    }

    public MailKey key() {
        return key;
    }

    String fileName() {
        return fileName;
    }

    /** The envelope sender, empty for the null sender. */
    public Optional<String> sender() {
        return sender;
    }

    public List<String> recipients() {
        return recipients;
    }

    public String queueId() {
        return queueId;
    }

    public Optional<Long> arrival() {
        return arrival;
    }

    public int retries() {
        return retries;
    }

    public Optional<Long> nextAttempt() {
        return nextAttempt;
    }

    public Optional<String> lastError() {
        return lastError;
    }

    public boolean hasRecipientInDomain(String domain) {
        String suffix = "@" + domain;
        return recipients.stream().anyMatch(recipient -> recipient.regionMatches(true, recipient.length() - suffix.length(), suffix, 0, suffix.length()));
    }
}
