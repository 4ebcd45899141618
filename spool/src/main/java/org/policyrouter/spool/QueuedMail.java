package org.policyrouter.spool;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;

/**
 * What a queue keeps in memory about one envelope: where it is (a journal record, or a file in
 * {@code deferred/}), the body it refers to, when it is due, and what an operator filters on — never
 * the body itself.
 */
final class QueuedMail {
    /** Due time first, then arrival order: FIFO among the mails that are due. */
    static final Comparator<QueuedMail> BY_DUE_TIME = Comparator.comparingLong((QueuedMail mail) -> mail.notBefore)
        .thenComparingLong(mail -> mail.sequence);
    static final Comparator<QueuedMail> BY_ARRIVAL = Comparator.comparingLong(mail -> mail.sequence);

    /** The record's id: a journal record's, or its file's name in deferred/. */
    final String id;
    final String queue;
    final String name;
    /** The message's queue ID (shared by its copies and retries). */
    final String queueId;
    final Optional<String> sender;
    final List<String> recipients;
    final long enqueued;
    final long notBefore;
    final boolean held;
    final String bodyId;
    /** Where the envelope is in the journal; null when it is a file in deferred/. */
    final JournalLocation location;
    final long sequence;

    QueuedMail(String id, String queue, String name, String queueId, Optional<String> sender, List<String> recipients, long enqueued,
               long notBefore, boolean held, String bodyId, JournalLocation location, long sequence) {
        this.id = id;
        this.queue = queue;
        this.name = name;
        this.queueId = queueId;
        this.sender = sender;
        this.recipients = recipients;
        this.enqueued = enqueued;
        this.notBefore = notBefore;
        this.held = held;
        this.bodyId = bodyId;
        this.location = location;
        this.sequence = sequence;
    }

    static QueuedMail of(String id, SpoolEnvelope envelope, JournalLocation location, long sequence) {
        return new QueuedMail(id, envelope.queue(), envelope.name(),
            envelope.attributeValue(SpoolAttributes.QUEUE_ID).map(node -> node.asText()).orElse(id),
            envelope.sender(), envelope.recipients(), envelope.enqueued(), envelope.notBefore(), envelope.held(),
            envelope.bodyId().orElse(id), location, sequence);
    }

    static QueuedMail of(String id, String queue, Mail mail, String queueId, long enqueued, long notBefore, boolean held, String bodyId,
                         JournalLocation location, long sequence) {
        return new QueuedMail(id, queue, mail.getName(), queueId, mail.getMaybeSender().asOptional().map(MailAddress::asString),
            mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.toUnmodifiableList()),
            enqueued, notBefore, held, bodyId, location, sequence);
    }

    QueuedMail dueAt(long time, long newSequence) {
        return new QueuedMail(id, queue, name, queueId, sender, recipients, enqueued, time, held, bodyId, location, newSequence);
    }

    /** The same envelope, now a file in deferred/ (held, or released). */
    QueuedMail inDeferred(boolean isHeld) {
        return new QueuedMail(id, queue, name, queueId, sender, recipients, enqueued, notBefore, isHeld, bodyId, null, sequence);
    }

    boolean hasRecipientInDomain(String domain) {
        String suffix = "@" + domain;
        return recipients.stream().anyMatch(recipient -> recipient.regionMatches(true, recipient.length() - suffix.length(), suffix, 0, suffix.length()));
    }
}
