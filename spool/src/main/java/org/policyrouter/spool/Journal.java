package org.policyrouter.spool;

import static org.policyrouter.spool.JournalIo.uninterruptibly;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.util.concurrent.Uninterruptibles;

/**
 * The spool's journal: what makes an SMTP 250 cheap and still durable. Accepted mails are
 * appended, one record each, to the current segment file, and one fdatasync covers every record
 * appended before it started ({@link GroupCommit}): each SMTP reply waits for the sync of its batch,
 * and a batch costs one journal commit of the file system instead of a file creation, a rename
 * and two syncs per mail. A copy or a retry of a mail due now is an envelope record that refers to
 * the body written at acceptance.
 *
 * <p>An envelope leaves the journal when its id is appended to its segment's done log
 * ({@code segment-….done}, not fsynced: a crash may bring a finished mail back, a duplicate,
 * never lose one). A body stays as long as its store pins it (an envelope still refers to it). A
 * segment in which nothing lives any more is retired ({@link SegmentFiles}); one kept only by bodies
 * that envelopes elsewhere refer to (deferred mail), when they are less than a quarter of it, is
 * handed to {@code onlyBodiesLeft} after a while, so that its store can move those bodies out and
 * let the rest of the file go.
 *
 * <p>Format: {@link JournalFormat}; segments: {@link SegmentFiles}; reading back: {@link JournalRecovery}.
 */
final class Journal implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");

    /** A record written but maybe not yet on disk, with its group-commit ticket. */
    static final class Appended {
        final JournalLocation location;
        final long ticket;

        Appended(JournalLocation location, long ticket) {
            this.location = location;
            this.ticket = ticket;
        }
    }

    private final Path directory;
    private final boolean fsync;
    private final SegmentFiles files;
    private final JournalRecovery recovery;
    private final GroupCommit commit;
    private final Duration relocationDelay;
    private final BiConsumer<JournalSegment, Set<String>> onlyBodiesLeft;
    private final Object lock = new Object();
    private final TreeMap<Long, JournalSegment> segments = new TreeMap<>();
    private JournalSegment current;
    /** Segment numbers only grow, so a segment still being made or retired is never reused. */
    private long nextNumber = 1;
    /** The segment that follows {@link #current}, made ahead in the background. */
    private Future<JournalSegment> prepared;
    /** Full segments whose last appends the next group commit must still sync. */
    private final List<JournalSegment> rolled = new ArrayList<>();
    private volatile boolean closed;

    private Journal(Path directory, Path corrupt, Fsyncs fsyncs, long segmentSize, Duration relocationDelay,
                    BiConsumer<JournalSegment, Set<String>> onlyBodiesLeft) {
        this.directory = directory;
        this.fsync = fsyncs.enabled();
        this.files = new SegmentFiles(directory, fsync, segmentSize);
        this.recovery = new JournalRecovery(directory, corrupt, fsync);
        this.commit = fsyncs.groupCommit(this::syncCurrent);
        this.relocationDelay = relocationDelay;
        this.onlyBodiesLeft = onlyBodiesLeft;
    }

    /**
     * Opens the journal in {@code directory} and reads back its segments: {@code recovered}
     * receives, in the order they were written, the records not done yet and the message records
     * whose body may still be referred to. Appends start only after {@link #startAppending}, once
     * the caller has pinned the bodies that are still needed.
     */
    static Journal open(Path directory, Path corrupt, Fsyncs fsyncs, long segmentSize, Duration relocationDelay,
                        BiConsumer<JournalSegment, Set<String>> onlyBodiesLeft, List<JournalRecovery.Recovered> recovered) throws IOException {
        boolean created = !Files.isDirectory(directory);
        SpoolDirectory.createPrivateDirectories(directory);
        if (created && fsyncs.enabled()) {
            // the segments' directory entries are synced, so must the directory's own be
            GroupCommit.forceDirectory(directory.toAbsolutePath().getParent());
        }
        Journal journal = new Journal(directory, corrupt, fsyncs, segmentSize, relocationDelay, onlyBodiesLeft);
        try {
            synchronized (journal.lock) {
                journal.files.tidyUp();
                for (long number : journal.files.segmentNumbers()) {
                    journal.nextNumber = number + 1;
                    JournalSegment segment = journal.recovery.recover(number, record -> {
                        if (!record.done) {
                            record.location.segment.liveEnvelopes++;
                        }
                        recovered.add(record);
                    });
                    if (segment != null) {
                        journal.segments.put(number, segment);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            journal.close();
            throw e;
        }
        return journal;
    }

    /** After recovery: segments nothing needs are retired, those kept only by bodies are looked at later, appends go to a new segment. */
    void startAppending() throws IOException {
        synchronized (lock) {
            for (JournalSegment segment : new ArrayList<>(segments.values())) {
                settle(segment);
            }
            current = files.create(nextNumber++);
            segments.put(current.number, current);
        }
    }

    /** Appends a record without waiting for its fsync: {@link #awaitDurable} does that. A message record pins its body. */
    Appended appendUnsynced(String id, JournalFormat.Kind kind, byte[] envelope, byte[] message) throws IOException {
        long recordLength = SpoolFileFormat.HEADER_LENGTH + envelope.length + message.length + SpoolFileFormat.TRAILER_LENGTH;
        int frameLineLength = JournalFormat.frameLineLength(id);
        byte[] bytes = SpoolFileFormat.encode(envelope, message, frameLineLength);
        synchronized (lock) {
            if (closed) {
                throw new IOException("the spool's journal is closed");
            }
            JournalSegment segment = segmentWithRoomFor(bytes.length);
            byte[] frameLine = JournalFormat.frameLine(segment.epoch, id, kind, recordLength);
            System.arraycopy(frameLine, 0, bytes, 0, frameLineLength);
            long offset = segment.size;
            try {
                uninterruptibly(() -> JournalIo.writeFully(segment.channel, bytes, offset));
            } catch (IOException e) {
                // e.g. a full disk: leave no half record for the next start to report
                try {
                    segment.channel.truncate(offset);
                    segment.allocated = Math.min(segment.allocated, offset);
                } catch (IOException truncation) {
                    e.addSuppressed(truncation);
                }
                throw e;
            }
            segment.size += bytes.length;
            segment.liveEnvelopes++;
            if (kind == JournalFormat.Kind.MESSAGE) {
                segment.pin(id, bytes.length - frameLine.length);
            }
            return new Appended(new JournalLocation(segment, offset + frameLine.length, bytes.length - frameLine.length), commit.register());
        }
    }

    /** Returns once the appended record is on disk (one fsync covers a whole batch of appends). */
    void awaitDurable(Appended appended) throws IOException {
        commit.await(appended.ticket);
    }

    /** Reads and verifies a record. */
    SpoolFileFormat.Record read(JournalLocation location) throws IOException, CorruptSpoolFileException {
        return SpoolFileFormat.decode(uninterruptibly(() -> JournalRecovery.readRaw(location)), location.describe());
    }

    /** The envelope has left the queue (processed, or removed by an operator). Its body stays while pinned. */
    void markDone(String id, JournalLocation location) throws IOException {
        synchronized (lock) {
            JournalSegment segment = location.segment;
            if (segment.retired) {
                return;
            }
            if (segment.doneLog == null) {
                segment.doneLog = FileChannel.open(segment.doneFile,
                    EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND), SpoolDirectory.fileAttributes());
            }
            ByteBuffer line = ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII));
            FileChannel doneLog = segment.doneLog;
            uninterruptibly(() -> {
                while (line.hasRemaining()) {
                    doneLog.write(line);
                }
            });
            if (closed) {
                // a spooler thread finishing after close: nothing else closes it
                segment.closeDoneLog();
            }
            segment.liveEnvelopes--;
            settle(segment);
        }
    }

    /** A body in the journal that an envelope refers to (at start: the records read back). */
    void pinBody(String bodyId, JournalLocation location) {
        synchronized (lock) {
            location.segment.pin(bodyId, location.length);
        }
    }

    /** No envelope refers to this body any more (or it was moved out of the journal). */
    void unpinBody(String bodyId, JournalLocation location) {
        synchronized (lock) {
            if (location.segment.unpin(bodyId)) {
                settle(location.segment);
            }
        }
    }

    /** Copies a record that cannot be read back to corrupt/ and takes it out of the journal. */
    void quarantine(String id, JournalLocation location, String reason) {
        try {
            byte[] raw = JournalRecovery.readRaw(location);
            Path target = recovery.copyToCorrupt(location.segment, location.offset, id, raw);
            LOGGER.error("{}: journal record {} is corrupt ({}): copied to {}", id, location.describe(), reason, target);
            uninterruptibly(() -> markDone(id, location));
        } catch (IOException e) {
            LOGGER.error("{}: journal record {} is corrupt ({}) and cannot be moved aside", id, location.describe(), reason, e);
        }
    }

    @Override
    public void close() {
        closed = true;
        files.close();
        synchronized (lock) {
            for (JournalSegment segment : segments.values()) {
                segment.close();
            }
            if (prepared != null && prepared.isDone()) {
                try {
                    prepared.get().close();
                } catch (ExecutionException | InterruptedException e) {
                    // never made: nothing to close
                }
            } else if (prepared != null) {
                LOGGER.warn("journal: the next segment was still being made at close");
            }
        }
    }

    /** Under the lock: a segment nothing needs is retired; one kept only by bodies is looked at again later. */
    private void settle(JournalSegment segment) {
        if (segment == current || segment.retired) {
            return;
        }
        if (segment.isFinished()) {
            segments.remove(segment.number);
            files.retire(segment);
        } else if (segment.worthMovingBodiesOut() && !segment.relocationScheduled) {
            segment.relocationScheduled = true;
            files.later(() -> offerBodies(segment), relocationDelay);
        }
    }

    /** On the delayed-task thread: bodies kept by a segment nothing else needs go to the store, which moves them out. */
    private void offerBodies(JournalSegment segment) {
        Set<String> bodies;
        synchronized (lock) {
            segment.relocationScheduled = false;
            if (segment.retired || !segment.worthMovingBodiesOut()) {
                return;
            }
            bodies = Set.copyOf(segment.pinnedBodies.keySet());
        }
        try {
            onlyBodiesLeft.accept(segment, bodies);
        } catch (RuntimeException e) {
            LOGGER.warn("journal segment {}: cannot move its last {} bodies out: {}", segment.file, bodies.size(), e.toString());
        }
        synchronized (lock) {
            // what could not be moved (a full disk, say) is offered again later
            settle(segment);
        }
    }

    /** The group commit's sync: the segments filled since the last one, then the current one. */
    private void syncCurrent() throws IOException {
        List<JournalSegment> toSync;
        synchronized (lock) {
            toSync = new ArrayList<>(rolled);
            rolled.clear();
            toSync.add(current);
        }
        for (JournalSegment segment : toSync) {
            try {
                uninterruptibly(() -> segment.channel.force(false));
            } catch (ClosedChannelException e) {
                synchronized (lock) {
                    if (!segment.retired) {
                        throw e;
                    }
                }
                // everything in it was done (and so synced) before this sync reached it
            }
        }
    }

    /** The current segment, or a new one when this record would make it too big. */
    private JournalSegment segmentWithRoomFor(int length) throws IOException {
        if (current.size > JournalFormat.HEADER_LENGTH && current.size + length > files.segmentSize()) {
            JournalSegment full = current;
            if (fsync) {
                // appends already registered with the group commit may still wait for this segment
                rolled.add(full);
            }
            current = nextSegment();
            segments.put(current.number, current);
            settle(full);
        }
        files.ensureAllocated(current, current.size + length);
        if (prepared == null && current.size >= files.segmentSize() / 2 && !closed) {
            prepared = files.createAhead(nextNumber++);
        }
        return current;
    }

    /** The segment made ahead, or (it failed, or none was asked for yet) a new one now. */
    private JournalSegment nextSegment() throws IOException {
        Future<JournalSegment> ahead = prepared;
        prepared = null;
        if (ahead != null) {
            try {
                return Uninterruptibles.getUninterruptibly(ahead);
            } catch (ExecutionException e) {
                LOGGER.warn("journal: the next segment could not be made ahead ({}), making it now", e.getCause().toString());
            }
        }
        return files.create(nextNumber++);
    }

    Path directory() {
        return directory;
    }
}
