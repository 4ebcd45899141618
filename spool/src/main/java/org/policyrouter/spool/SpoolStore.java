package org.policyrouter.spool;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool on disk, for every queue that uses it: envelopes in the journal (due now) or in
 * {@code deferred/} (waiting for a time, or held), and message bodies, each written once — in the
 * journal record that accepted the message, or in {@code bodies/} — and shared by every envelope
 * that refers to it: a message's copies (one per next hop), its deferrals and retries write a
 * new envelope, never the body again. A body goes when its last envelope is done.
 *
 * <p>One process at a time: the spool is locked ({@link SpoolLock}) before anything is read.
 * Nothing acknowledged is lost: a new envelope is on disk before the one it replaces is marked
 * done, so a crash in between gives a duplicate, never a loss.
 */
final class SpoolStore implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    /** Bodies up to this size go into the journal with their envelope; larger ones get a file of their own. */
    static final int JOURNAL_MAX_BODY_BYTES = 64 * 1024;
    private static final byte[] NO_MESSAGE = new byte[0];

    /** A body and how many envelopes refer to it. Guarded by the store. */
    private static final class Body {
        final String id;
        /** In the journal; null when it is a file in bodies/. */
        JournalLocation location;
        int refs;

        Body(String id, JournalLocation location) {
            this.id = id;
            this.location = location;
        }
    }

    /** A new envelope: its queue entry, its body (to hand the mail over without reading it back), its journal append if any. */
    static final class Stored {
        final QueuedMail entry;
        final SpoolBodySource body;
        final Journal.Appended appended;

        Stored(QueuedMail entry, SpoolBodySource body, Journal.Appended appended) {
            this.entry = entry;
            this.body = body;
            this.appended = appended;
        }
    }

    private final SpoolConfiguration configuration;
    private final SpoolLock lock;
    private final Fsyncs fsyncs;
    /** Tells this store's bodies from another spool's: a body id means something only here. */
    private final String storeId = SpoolNames.newQueueId();
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, Body> bodies = new HashMap<>();
    private final Map<String, List<QueuedMail>> recovered = new HashMap<>();
    private SpoolDirectory deferredFiles;
    private SpoolDirectory bodyFiles;
    private Journal journal;

    private SpoolStore(SpoolConfiguration configuration, SpoolLock lock, Fsyncs fsyncs) {
        this.configuration = configuration;
        this.lock = lock;
        this.fsyncs = fsyncs;
    }

    /** Locks the spool and reads it back: what was waiting, deferred or being processed at the last stop is waiting again. */
    static SpoolStore open(SpoolConfiguration configuration, Fsyncs fsyncs) throws IOException {
        SpoolLock lock = SpoolLock.acquire(configuration.root());
        SpoolStore store = new SpoolStore(configuration, lock, fsyncs);
        try {
            store.recover();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    long nextSequence() {
        return sequence.incrementAndGet();
    }

    /** The envelopes found at start for this queue (once: the queue takes them). */
    synchronized List<QueuedMail> takeRecovered(String queue) {
        List<QueuedMail> mails = recovered.remove(queue);
        return mails == null ? List.of() : mails;
    }

    /**
     * Stores a new envelope for {@code mail} in {@code queue}: in the journal when it is due now,
     * in deferred/ when it waits. Its body is the one already stored when the mail carries it
     * unchanged, else written now. Durable once {@link #awaitDurable} returns.
     */
    Stored store(String queue, Mail mail, long now, long notBefore, Consumer<Attribute> written) throws IOException, MessagingException {
        String id = SpoolNames.newQueueId();
        String queueId = AttributeUtils.getValueAndCastFromMail(mail, SpoolAttributes.QUEUE_ID, String.class).orElse(id);
        Map<AttributeName, AttributeValue<?>> defaults = Map.of(
            SpoolAttributes.QUEUE_ID, AttributeValue.of(queueId),
            SpoolAttributes.ARRIVAL, AttributeValue.of(now));
        boolean due = notBefore <= now;
        SpoolBodySource body = retainStoredBody(mail.getMessage());
        String embedded = null;
        try {
            byte[] inRecord = NO_MESSAGE;
            if (body == null) {
                long size = mail.getMessageSize();
                byte[] bytes = due && size <= JOURNAL_MAX_BODY_BYTES ? MessageBytes.toByteArray(mail.getMessage(), size) : null;
                if (bytes != null && bytes.length <= JOURNAL_MAX_BODY_BYTES) {
                    inRecord = bytes;
                    embedded = id;
                    body = SpoolBodySource.inMemory(storeId, id, bytes);
                } else {
                    body = writeBodyFile(id, mail.getMessage());
                }
            }
            SpoolEnvelope.Placement placement = new SpoolEnvelope.Placement(queue, embedded == null ? body.bodyId() : null, now, notBefore, false);
            byte[] envelope = SpoolEnvelope.encode(mail, placement, defaults, written);
            if (!due) {
                deferredFiles.create(id, envelope, out -> { });
                return new Stored(QueuedMail.of(id, queue, mail, queueId, now, notBefore, false, body.bodyId(), null, nextSequence()), body, null);
            }
            Journal.Appended appended = journal.appendUnsynced(id, embedded == null ? JournalFormat.Kind.ENVELOPE : JournalFormat.Kind.MESSAGE,
                envelope, inRecord);
            if (embedded != null) {
                synchronized (this) {
                    Body stored = new Body(id, appended.location);
                    stored.refs = 1;
                    bodies.put(id, stored);
                }
            }
            return new Stored(QueuedMail.of(id, queue, mail, queueId, now, notBefore, false, body.bodyId(), appended.location, nextSequence()),
                body, appended);
        } catch (IOException | MessagingException | RuntimeException e) {
            if (body != null && embedded == null) {
                release(body.bodyId());
            }
            throw e;
        }
    }

    /** Returns once a stored envelope is on disk: a journal record waits for its group commit, a file already is. */
    void awaitDurable(Stored stored) throws IOException {
        if (stored.appended == null) {
            return;
        }
        try {
            journal.awaitDurable(stored.appended);
        } catch (IOException e) {
            // not acknowledged: do not let a restart deliver what the client will send again
            try {
                journal.markDone(stored.entry.id, stored.appended.location);
            } catch (IOException done) {
                e.addSuppressed(done);
            }
            release(stored.entry.bodyId);
            throw e;
        }
    }

    /** Reads an envelope and its body back as a mail. */
    Mail read(QueuedMail entry) throws IOException, CorruptSpoolFileException {
        SpoolFileFormat.Record record = readRecord(entry);
        Path where = describe(entry);
        SpoolEnvelope envelope = SpoolEnvelope.decode(record.envelope, where);
        SpoolBodySource body = envelope.bodyId().isPresent() ? bodySource(entry.bodyId) : SpoolBodySource.inMemory(storeId, entry.id, record.message);
        return envelope.toMail(new SpooledMessage(body), where);
    }

    /** Reads only an envelope (an operator's listing). */
    SpoolEnvelope readEnvelope(QueuedMail entry) throws IOException, CorruptSpoolFileException {
        return SpoolEnvelope.decode(readRecord(entry).envelope, describe(entry));
    }

    /** The envelope has left the spool; its body goes with its last envelope. */
    void done(QueuedMail entry) throws IOException {
        if (entry.location != null) {
            journal.markDone(entry.id, entry.location);
        } else {
            deferredFiles.delete(entry.id);
        }
        release(entry.bodyId);
    }

    /** An operator holds a waiting envelope: it becomes (or stays) a file in deferred/, marked held, durably. */
    QueuedMail hold(QueuedMail entry) throws IOException, CorruptSpoolFileException {
        return rewriteInDeferred(entry, true);
    }

    /** An operator releases a held envelope: it waits for its time again. */
    QueuedMail release(QueuedMail entry) throws IOException, CorruptSpoolFileException {
        return rewriteInDeferred(entry, false);
    }

    /** The same mail for fewer recipients (an operator removed the others): a new envelope in deferred/, the same body. */
    QueuedMail narrow(QueuedMail entry, List<String> recipients) throws IOException, CorruptSpoolFileException {
        String id = SpoolNames.newQueueId();
        byte[] envelope = readEnvelope(entry).narrowed(recipients, entry.bodyId);
        retain(entry.bodyId);
        try {
            deferredFiles.create(id, envelope, out -> { });
        } catch (IOException e) {
            release(entry.bodyId);
            throw e;
        }
        done(entry);
        return new QueuedMail(id, entry.queue, entry.name, entry.queueId, entry.sender, List.copyOf(recipients), entry.enqueued, entry.notBefore,
            entry.held, entry.bodyId, null, entry.sequence);
    }

    /** An envelope that cannot be read back goes to corrupt/; the rest of the spool keeps flowing. */
    void quarantine(QueuedMail entry, String reason) {
        if (entry.location != null) {
            journal.quarantine(entry.id, entry.location, reason);
        } else {
            deferredFiles.quarantine(entry.id, reason);
        }
        release(entry.bodyId);
    }

    @Override
    public void close() {
        if (journal != null) {
            journal.close();
        }
        try {
            lock.close();
        } catch (IOException e) {
            LOGGER.warn("cannot release the spool lock of {}", configuration.root(), e);
        }
    }

    private QueuedMail rewriteInDeferred(QueuedMail entry, boolean held) throws IOException, CorruptSpoolFileException {
        SpoolEnvelope envelope = readEnvelope(entry);
        byte[] rewritten = envelope.rewritten(held, entry.bodyId);
        if (entry.location == null) {
            deferredFiles.write(entry.id, rewritten, out -> { });
            return entry.inDeferred(held);
        }
        // the new file refers to the body before the journal record lets go of it
        retain(entry.bodyId);
        deferredFiles.create(entry.id, rewritten, out -> { });
        journal.markDone(entry.id, entry.location);
        release(entry.bodyId);
        return entry.inDeferred(held);
    }

    private SpoolFileFormat.Record readRecord(QueuedMail entry) throws IOException, CorruptSpoolFileException {
        return entry.location != null ? journal.read(entry.location) : deferredFiles.read(entry.id);
    }

    private Path describe(QueuedMail entry) {
        return entry.location != null ? entry.location.describe() : deferredFiles.file(entry.id);
    }

    /** The stored body of a message this spool handed out, when the mail still carries it unchanged: one more envelope refers to it. */
    private SpoolBodySource retainStoredBody(MimeMessage message) throws MessagingException {
        if (!(message instanceof SpooledMessage)) {
            return null;
        }
        SpooledMessage spooled = (SpooledMessage) message;
        SpoolBodySource body = spooled.body();
        if (!body.storeId().equals(storeId) || !spooled.isAsReceived()) {
            return null;
        }
        synchronized (this) {
            Body stored = bodies.get(body.bodyId());
            if (stored == null) {
                // its last envelope is gone meanwhile: written again
                return null;
            }
            stored.refs++;
        }
        return body;
    }

    private SpoolBodySource writeBodyFile(String id, MimeMessage message) throws IOException {
        bodyFiles.create(id, bodyEnvelope(id), out -> {
            try {
                MessageBytes.writeTo(message, out);
            } catch (MessagingException e) {
                throw new IOException("cannot write the message", e);
            }
        });
        synchronized (this) {
            Body stored = new Body(id, null);
            stored.refs = 1;
            bodies.put(id, stored);
        }
        return fileSource(id);
    }

    private SpoolBodySource fileSource(String id) throws IOException {
        try {
            long[] range = SpoolFileFormat.messageRange(bodyFiles.file(id));
            return SpoolBodySource.inFile(storeId, id, bodyFiles.file(id), range[0], range[1]);
        } catch (CorruptSpoolFileException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Where a body is now; a journal body is read into memory (at most 64 KiB). */
    private SpoolBodySource bodySource(String id) throws IOException, CorruptSpoolFileException {
        for (int attempt = 0; ; attempt++) {
            JournalLocation location;
            synchronized (this) {
                Body body = bodies.get(id);
                if (body == null) {
                    throw new CorruptSpoolFileException(bodyFiles.file(id), "the body " + id + " of this envelope is gone");
                }
                location = body.location;
            }
            if (location == null) {
                return fileSource(id);
            }
            try {
                return SpoolBodySource.inMemory(storeId, id, journal.read(location).message);
            } catch (IOException | CorruptSpoolFileException e) {
                // moved out of its segment while this read ran: read it where it is now
                boolean moved;
                synchronized (this) {
                    Body body = bodies.get(id);
                    moved = body != null && body.location != location;
                }
                if (!moved || attempt > 0) {
                    throw e;
                }
            }
        }
    }

    private synchronized void retain(String bodyId) {
        Body body = bodies.get(bodyId);
        if (body != null) {
            body.refs++;
        }
    }

    /** One envelope less refers to the body; with none left it goes. */
    private synchronized void release(String bodyId) {
        Body body = bodies.get(bodyId);
        if (body == null || --body.refs > 0) {
            return;
        }
        bodies.remove(bodyId);
        if (body.location != null) {
            journal.unpinBody(bodyId, body.location);
        } else {
            try {
                // not fsynced: a crash may bring the file back, and the next start deletes it
                bodyFiles.delete(bodyId);
            } catch (IOException e) {
                LOGGER.warn("{}: cannot delete its body file: {}", bodyId, e.toString());
            }
        }
    }

    /**
     * On the journal's background thread: a segment in which only bodies of waiting (deferred)
     * mail are still needed. They move to bodies/ — once in their life, not per deferral — so that
     * one long-deferred mail does not keep a whole segment of finished mail on disk.
     */
    private void relocate(JournalSegment segment, Set<String> ids) {
        int moved = 0;
        for (String id : ids) {
            Body body;
            JournalLocation location;
            synchronized (this) {
                body = bodies.get(id);
                if (body == null || body.location == null || body.location.segment != segment) {
                    continue;
                }
                location = body.location;
            }
            try {
                byte[] message = journal.read(location).message;
                bodyFiles.write(id, bodyEnvelope(id), out -> out.write(message));
            } catch (IOException | CorruptSpoolFileException e) {
                synchronized (this) {
                    if (bodies.get(id) != body || body.location != location) {
                        // its last envelope went meanwhile, and the segment with it
                        continue;
                    }
                }
                LOGGER.warn("{}: cannot move its body out of journal segment {}, trying again later: {}", id, segment.file, e.toString());
                continue;
            }
            synchronized (this) {
                if (bodies.get(id) == body && body.location == location) {
                    body.location = null;
                    journal.unpinBody(id, location);
                    moved++;
                    continue;
                }
            }
            // its last envelope went meanwhile
            try {
                bodyFiles.delete(id);
            } catch (IOException e) {
                LOGGER.warn("{}: cannot delete its body file: {}", id, e.toString());
            }
        }
        if (moved > 0) {
            LOGGER.info("journal segment {}: moved the {} bodies still waiting to be delivered to {}, so the segment can be reused",
                segment.file.getFileName(), moved, configuration.bodies());
        }
    }

    private static byte[] bodyEnvelope(String id) {
        return ("{\"body\":\"" + id + "\"}").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** At start: bodies, then the journal, then deferred/; envelopes without their body and bodies without an envelope go. */
    private void recover() throws IOException {
        bodyFiles = SpoolDirectory.open(configuration.bodies(), configuration.corrupt(), fsyncs);
        deferredFiles = SpoolDirectory.open(configuration.deferred(), configuration.corrupt(), fsyncs);
        for (String name : bodyFiles.names()) {
            try {
                SpoolFileFormat.messageRange(bodyFiles.file(name));
                bodies.put(name, new Body(name, null));
            } catch (CorruptSpoolFileException e) {
                bodyFiles.quarantine(name, e.getMessage());
            }
        }
        List<JournalRecovery.Recovered> records = new ArrayList<>();
        journal = Journal.open(configuration.incoming(), configuration.corrupt(), fsyncs, configuration.journalSegmentBytes(),
            configuration.relocationDelay(), this::relocate, records);
        for (JournalRecovery.Recovered record : records) {
            if (record.kind == JournalFormat.Kind.MESSAGE) {
                // a body already moved to bodies/ is read from there
                bodies.putIfAbsent(record.id, new Body(record.id, record.location));
            }
        }

        Map<String, QueuedMail> found = new LinkedHashMap<>();
        for (String name : deferredFiles.names()) {
            try {
                found.put(name, QueuedMail.of(name, SpoolEnvelope.decode(deferredFiles.readEnvelope(name), deferredFiles.file(name)), null, 0));
            } catch (CorruptSpoolFileException e) {
                deferredFiles.quarantine(name, e.getMessage());
            } catch (NoSuchFileException e) {
                LOGGER.debug("{} vanished while loading", name);
            }
        }
        List<JournalRecovery.Recovered> superseded = new ArrayList<>();
        Map<JournalRecovery.Recovered, String> unreadable = new LinkedHashMap<>();
        for (JournalRecovery.Recovered record : records) {
            if (record.done) {
                continue;
            }
            if (found.containsKey(record.id)) {
                // held by an operator just before a crash: the file in deferred/ is the newer state
                superseded.add(record);
                continue;
            }
            try {
                found.put(record.id, QueuedMail.of(record.id, SpoolEnvelope.decode(record.envelope, record.location.describe()), record.location, 0));
            } catch (CorruptSpoolFileException e) {
                unreadable.put(record, e.getMessage());
            }
        }
        List<QueuedMail> orphans = new ArrayList<>();
        for (QueuedMail mail : found.values()) {
            Body body = bodies.get(mail.bodyId);
            if (body == null) {
                orphans.add(mail);
            } else {
                body.refs++;
            }
        }
        for (Body body : new ArrayList<>(bodies.values())) {
            if (body.refs > 0 && body.location != null) {
                journal.pinBody(body.id, body.location);
            } else if (body.refs == 0) {
                bodies.remove(body.id);
                if (body.location == null) {
                    // written for a mail that was never acknowledged, or whose envelopes were all done before a crash
                    bodyFiles.delete(body.id);
                }
            }
        }
        for (JournalRecovery.Recovered record : superseded) {
            journal.markDone(record.id, record.location);
        }
        unreadable.forEach((record, reason) -> journal.quarantine(record.id, record.location, reason));
        for (QueuedMail mail : orphans) {
            found.remove(mail.id);
            LOGGER.warn("{}: its envelope refers to the body {}, which is gone (it was finished just before a crash): moved aside", mail.id, mail.bodyId);
            if (mail.location != null) {
                journal.quarantine(mail.id, mail.location, "no body " + mail.bodyId);
            } else {
                deferredFiles.quarantine(mail.id, "no body " + mail.bodyId);
            }
        }
        journal.startAppending();

        // record ids are time-ordered: journal records and files merge into arrival order
        List<QueuedMail> mails = new ArrayList<>(found.values());
        mails.sort(Comparator.comparing(mail -> mail.id));
        int deferred = 0;
        for (QueuedMail mail : mails) {
            recovered.computeIfAbsent(mail.queue, queue -> new ArrayList<>()).add(mail.dueAt(mail.notBefore, nextSequence()));
            deferred += mail.location == null ? 1 : 0;
        }
        LOGGER.info("spool {}: {} mails waiting ({} in the journal, {} in {}), {} bodies", configuration.root(), mails.size(),
            mails.size() - deferred, deferred, configuration.deferred(), bodies.size());
    }
}
