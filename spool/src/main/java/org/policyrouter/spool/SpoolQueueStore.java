package org.policyrouter.spool;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;

import javax.mail.MessagingException;

import org.apache.james.queue.api.MailQueueName;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a queue's mails are on disk. A mail due now with a message of at most
 * {@link #JOURNAL_MAX_MESSAGE_BYTES} is appended to the incoming journal (one fsync per batch of
 * SMTP replies, see {@link IncomingJournal}) and stays there until it is done. A delayed or large
 * mail is a file of its own in {@code incoming/}, moved to {@code active/} while a consumer has it
 * (a large message is streamed, never held in memory, and its own fsync is small next to its
 * size). At start, both come back as waiting mails, files left in {@code active/} included.
 */
final class SpoolQueueStore implements Closeable {
    static final int JOURNAL_MAX_MESSAGE_BYTES = 1024 * 1024;
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");

    private final String queueName;
    private final SpoolDirectory incoming;
    private final SpoolDirectory active;
    private final IncomingJournal journal;

    private SpoolQueueStore(String queueName, SpoolDirectory incoming, SpoolDirectory active, IncomingJournal journal) {
        this.queueName = queueName;
        this.incoming = incoming;
        this.active = active;
        this.journal = journal;
    }

    /** Opens the queue's directories and journal; {@code waiting} receives what is on disk, oldest first. */
    static SpoolQueueStore open(MailQueueName name, SpoolConfiguration configuration, List<QueuedMail> waiting, LongSupplier sequence) throws IOException {
        SpoolDirectory incoming = SpoolDirectory.open(configuration.incoming(name), configuration.corrupt(), configuration.fsync());
        SpoolDirectory active = SpoolDirectory.open(configuration.active(name), configuration.corrupt(), configuration.fsync());
        List<String> interrupted = active.names();
        for (String id : interrupted) {
            incoming.moveFrom(active, id, false);
        }
        List<IncomingJournal.Recovered> journaled = new ArrayList<>();
        IncomingJournal journal = IncomingJournal.open(configuration.journal(name), configuration.corrupt(), configuration.fsync(),
            configuration.journalSegmentBytes(), journaled);
        List<Found> found = new ArrayList<>();
        for (String id : incoming.names()) {
            try {
                found.add(new Found(id, SpoolEnvelope.decode(incoming.readEnvelope(id), incoming.file(id)), null));
            } catch (CorruptSpoolFileException e) {
                incoming.quarantine(id, e.getMessage());
            }
        }
        for (IncomingJournal.Recovered record : journaled) {
            try {
                found.add(new Found(record.id, SpoolEnvelope.decode(record.envelope, record.location.describe()), record.location));
            } catch (CorruptSpoolFileException e) {
                journal.quarantine(record.id, record.location, e.getMessage());
            }
        }
        // queue ids are time-ordered: files and journal records merge into arrival order
        found.sort(Comparator.comparing(mail -> mail.id));
        for (Found mail : found) {
            waiting.add(QueuedMail.of(mail.id, mail.envelope, sequence.getAsLong(), mail.location));
        }
        LOGGER.info("spool queue {}: {} mails waiting ({} in {}, {} in its journal){}", name.asString(), found.size(),
            found.size() - journaled.size(), incoming.path(), journaled.size(),
            interrupted.isEmpty() ? "" : "; " + interrupted.size() + " put back from active/: they were being processed at an unclean stop");
        return new SpoolQueueStore(name.asString(), incoming, active, journal);
    }

    /**
     * Stores a new mail; it is durable once {@link #awaitDurable} returns (a mail in its own file
     * already is). The entry says where it went; a mail that went to the journal comes back with
     * its message bytes, so it can be handed over without a read.
     */
    Stored store(String id, Mail mail, byte[] envelope, long now, long notBefore, long sequence) throws IOException, MessagingException {
        long size = mail.getMessageSize();
        if (notBefore <= now && size <= JOURNAL_MAX_MESSAGE_BYTES) {
            byte[] message = MessageBytes.toByteArray(mail.getMessage(), size);
            if (message.length <= JOURNAL_MAX_MESSAGE_BYTES) {
                IncomingJournal.Appended appended = journal.appendUnsynced(id, envelope, message);
                return new Stored(QueuedMail.of(id, mail, now, notBefore, sequence, appended.location), message, appended);
            }
        }
        incoming.create(id, envelope, out -> {
            try {
                MessageBytes.writeTo(mail.getMessage(), out);
            } catch (MessagingException e) {
                throw new IOException(e);
            }
        });
        return new Stored(QueuedMail.of(id, mail, now, notBefore, sequence, null), null, null);
    }

    /** Hands a waiting mail over to a consumer: a file moves to active/. */
    Mail take(QueuedMail entry) throws IOException, CorruptSpoolFileException {
        if (entry.location != null) {
            return toMail(entry, journal.read(entry.location), entry.location.describe());
        }
        active.moveFrom(incoming, entry.id, false);
        return toMail(entry, active.read(entry.id), active.file(entry.id));
    }

    /** Reads a waiting mail without taking it (browsing). */
    Mail peek(QueuedMail entry) throws IOException, CorruptSpoolFileException {
        if (entry.location != null) {
            return toMail(entry, journal.read(entry.location), entry.location.describe());
        }
        return toMail(entry, incoming.read(entry.id), incoming.file(entry.id));
    }

    /** A taken mail could not be read back: moved aside, out of the queue. */
    void quarantineTaken(QueuedMail entry, String reason) {
        if (entry.location != null) {
            journal.quarantine(entry.id, entry.location, reason);
        } else {
            active.quarantine(entry.id, reason);
        }
    }

    /** A consumer asked for a retry: the mail waits again. */
    void putBack(QueuedMail entry) throws IOException {
        if (entry.location == null) {
            incoming.moveFrom(active, entry.id, false);
        }
    }

    /** A consumer finished with a taken mail: it leaves the spool. */
    void finish(QueuedMail entry) throws IOException {
        if (entry.location != null) {
            journal.markDone(entry.id, entry.location);
        } else {
            active.delete(entry.id);
        }
    }

    /** An operator removed a waiting mail. */
    void discard(QueuedMail entry) throws IOException {
        if (entry.location != null) {
            journal.markDone(entry.id, entry.location);
        } else {
            incoming.delete(entry.id);
        }
    }

    /** Writes a delayed mail's new due time to its file. Journal records are never delayed. */
    void rewriteDueTime(QueuedMail entry, long due) throws IOException, CorruptSpoolFileException {
        if (entry.location != null) {
            return;
        }
        SpoolFileFormat.Record record = incoming.read(entry.id);
        byte[] envelope = SpoolEnvelope.decode(record.envelope, incoming.file(entry.id)).withNotBefore(due);
        incoming.write(entry.id, envelope, out -> out.write(record.message));
    }

    @Override
    public void close() {
        journal.close();
    }

    String sourceId(QueuedMail entry) {
        return queueName + "/" + entry.id;
    }

    private Mail toMail(QueuedMail entry, SpoolFileFormat.Record record, Path source) throws CorruptSpoolFileException {
        return SpoolEnvelope.decode(record.envelope, source).toMail(record.message, sourceId(entry), source);
    }

    /** A mail just stored: its entry, and its message when it is in the journal (else null). */
    static final class Stored {
        final QueuedMail entry;
        final byte[] message;
        private final IncomingJournal.Appended appended;

        Stored(QueuedMail entry, byte[] message, IncomingJournal.Appended appended) {
            this.entry = entry;
            this.message = message;
            this.appended = appended;
        }
    }

    /** Returns once a stored mail is on disk: a journal record waits for its group commit, a file already is. */
    void awaitDurable(Stored stored) throws IOException {
        if (stored.appended != null) {
            journal.awaitDurable(stored.entry.id, stored.appended);
        }
    }

    /** A mail found on disk at start. */
    private static final class Found {
        final String id;
        final SpoolEnvelope envelope;
        final IncomingJournal.Location location;

        Found(String id, SpoolEnvelope envelope, IncomingJournal.Location location) {
            this.id = id;
            this.envelope = envelope;
            this.location = location;
        }
    }
}
