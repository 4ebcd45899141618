package org.policyrouter.spool;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import java.util.stream.Collectors;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** What the queue keeps in memory about one waiting mail: its file, envelope and due time, no body. */
final class QueuedMail {
    /** Due time first, then arrival order: FIFO among the mails that are due. */
    static final Comparator<QueuedMail> BY_DUE_TIME = Comparator.comparingLong((QueuedMail mail) -> mail.notBefore)
        .thenComparingLong(mail -> mail.sequence);
    static final Comparator<QueuedMail> BY_ARRIVAL = Comparator.comparingLong(mail -> mail.sequence);

    final String id;
    final String name;
    final Optional<String> sender;
    final List<String> recipients;
    final long enqueued;
    final long notBefore;
    final long sequence;
    /** Where the mail is in the incoming journal; null when it is a file of its own. */
    final IncomingJournal.Location location;

    QueuedMail(String id, String name, Optional<String> sender, List<String> recipients, long enqueued, long notBefore, long sequence,
               IncomingJournal.Location location) {
        this.id = id;
        this.name = name;
        this.sender = sender;
        this.recipients = recipients;
        this.enqueued = enqueued;
        this.notBefore = notBefore;
        this.sequence = sequence;
        this.location = location;
    }

    static QueuedMail of(String id, SpoolEnvelope envelope, long sequence, IncomingJournal.Location location) {
        return new QueuedMail(id, envelope.name(), envelope.sender(), envelope.recipients(), envelope.enqueued(), envelope.notBefore(), sequence, location);
    }

    static QueuedMail of(String id, Mail mail, long enqueued, long notBefore, long sequence, IncomingJournal.Location location) {
        return new QueuedMail(id, mail.getName(), mail.getMaybeSender().asOptional().map(MailAddress::asString),
            mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.toUnmodifiableList()),
            enqueued, notBefore, sequence, location);
    }

    QueuedMail dueAt(long time, long newSequence) {
        return new QueuedMail(id, name, sender, recipients, enqueued, time, newSequence, location);
    }
}
