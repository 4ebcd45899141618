package org.policyrouter.spool;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.util.concurrent.Uninterruptibles;

/**
 * The incoming queue's journal: what makes an SMTP 250 cheap and still durable. Accepted mails are
 * appended, one record each, to the current segment file, and one fdatasync covers every record
 * appended before it started ({@link GroupCommit}): each SMTP reply waits for the sync of its
 * batch, and a batch costs one journal commit of the file system instead of a file creation, a
 * rename and two syncs per mail.
 *
 * <p>A segment starts with a header {@code PRJS <epoch, hex> <n|r>\n}: a random number drawn when
 * the file becomes a segment, and whether the file is new or reused. A record is a frame line
 * {@code PRJ2 <epoch, hex> <queue id> <record length, hex>\n} followed by the mail in the spool
 * file format ({@link SpoolFileFormat}: envelope, message, CRC32C). A mail leaves the journal when
 * its id is appended to the segment's done log ({@code segment-….done}, not fsynced: a crash may
 * bring a finished mail back, a duplicate, never lose one). A segment whose mails are all done
 * becomes a spare ({@code spare-…}), which a later segment reuses as it is: its old records carry
 * another epoch, so they never count again, and nobody can write a record (in a mail body, say)
 * that would, as the epoch is drawn after the body was written. At start every segment is read
 * back: records without a done mark are the queue again, a damaged record or an unreadable tail
 * is copied to {@code corrupt/}, and appends go to a new segment.
 *
 * <p>Nothing slow for the file system happens on the append path: the next segment is made ahead,
 * a finished one is retired, and chunks of a new file are zero-filled on a background thread.
 */
final class IncomingJournal implements Closeable {
    static final String SEGMENT_PREFIX = "segment-";
    static final String DONE_SUFFIX = ".done";
    /** A finished segment kept for reuse, or a segment being made: recovery reads no {@code spare-…} file. */
    static final String SPARE_PREFIX = "spare-";
    /** Spares kept; a segment finished beyond them is deleted. */
    static final int MAX_SPARES = 2;
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    /** Segments are zero-filled (and synced) this far ahead of the write position. */
    static final long PREALLOCATION_BYTES = 4L * 1024 * 1024;
    /** Segment header: {@code PRJS <epoch, hex> <n: new file | r: reused>\n}. */
    private static final String HEADER_MAGIC = "PRJS ";
    static final int HEADER_LENGTH = HEADER_MAGIC.length() + 16 + 3;
    /** Frame line: {@code PRJ2 <the segment's epoch, hex> <queue id> <record length, hex>\n}. */
    private static final String FRAME_MAGIC = "PRJ2 ";
    /**
     * Frame line of earlier versions, in segments without a header: {@code PRJ1 <queue id> <record length, hex>\n}.
     * Such segments, and their records, have this epoch.
     */
    private static final String LEGACY_FRAME_MAGIC = "PRJ1 ";
    private static final long LEGACY_EPOCH = 0;
    private static final int MAX_FRAME_LINE = 200;
    /** How much of an append cut short at the end of a new segment is copied to corrupt/. */
    private static final int MAX_CUT_SHORT_COPY = 1 << 20;

    private final Path directory;
    private final Path corrupt;
    private final boolean fsync;
    private final long segmentSize;
    private final GroupCommit commit;
    private final Object lock = new Object();
    /** Held while zeros are written ahead; taken inside {@link #lock}, never the other way round. */
    private final Object fillLock = new Object();
    /**
     * The slow file-system work (zero fill, creating the next segment, deleting a finished one) runs
     * here, so the appends of SMTP I/O threads, which hold {@link #lock}, never wait for it.
     */
    private final ExecutorService background = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "spool-journal-background");
        thread.setDaemon(true);
        return thread;
    });
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    private Segment current;
    /** Segment numbers only grow, so a segment still being created or deleted is never reused. */
    private long nextNumber = 1;
    /** The segment that follows {@link #current}, created ahead in the background. */
    private Future<Segment> prepared;
    /** Full segments whose last appends the next group commit must still sync. */
    private final List<Segment> rolled = new ArrayList<>();
    /**
     * Finished segment files kept for reuse. Guarded by itself, not by {@link #lock}: an append that
     * holds the lock may wait for the background thread creating the next segment from a spare.
     */
    private final Deque<Path> spares = new ArrayDeque<>();
    private final SecureRandom random = new SecureRandom();
    private volatile boolean closed;

    private IncomingJournal(Path directory, Path corrupt, boolean fsync, long segmentSize) {
        this.directory = directory;
        this.corrupt = corrupt;
        this.fsync = fsync;
        this.segmentSize = segmentSize;
        this.commit = new GroupCommit(this::syncCurrent, fsync);
    }

    /**
     * Opens the journal in {@code directory}, reads back its segments and starts a new one.
     * {@code recovered} receives the records that are not done yet, in the order they were written.
     */
    static IncomingJournal open(Path directory, Path corrupt, boolean fsync, long segmentSize, List<Recovered> recovered) throws IOException {
        boolean created = !Files.isDirectory(directory);
        SpoolDirectory.createPrivateDirectories(directory);
        if (created && fsync) {
            // the segments' directory entries are synced, so must the directory's own be
            GroupCommit.forceDirectory(directory.toAbsolutePath().getParent());
        }
        IncomingJournal journal = new IncomingJournal(directory, corrupt, fsync, segmentSize);
        try {
            synchronized (journal.lock) {
                journal.keepSpares();
                journal.deleteOrphanDoneLogs();
                for (long number : journal.segmentNumbers()) {
                    journal.nextNumber = number + 1;
                    journal.recover(number, recovered);
                }
                journal.current = journal.createSegment(journal.nextNumber++);
                journal.segments.put(journal.current.number, journal.current);
            }
        } catch (IOException | RuntimeException e) {
            journal.close();
            throw e;
        }
        return journal;
    }

    /**
     * Appends a mail and returns once it is durable (with fsync on). Concurrent appends share
     * their fsync.
     */
    Location append(String id, byte[] envelope, byte[] message) throws IOException {
        Appended appended = appendUnsynced(id, envelope, message);
        awaitDurable(id, appended);
        return appended.location;
    }

    /** Appends a record without waiting for its fsync: {@link #awaitDurable} does that. */
    Appended appendUnsynced(String id, byte[] envelope, byte[] message) throws IOException {
        long recordLength = SpoolFileFormat.HEADER_LENGTH + envelope.length + message.length + SpoolFileFormat.TRAILER_LENGTH;
        int frameLineLength = frameLineLength(id);
        byte[] bytes = SpoolFileFormat.encode(envelope, message, frameLineLength);
        synchronized (lock) {
            if (closed) {
                throw new IOException("the spool's journal is closed");
            }
            Segment segment = segmentWithRoomFor(bytes.length);
            byte[] frameLine = frameLine(segment.epoch, id, recordLength);
            System.arraycopy(frameLine, 0, bytes, 0, frameLineLength);
            long offset = segment.size;
            try {
                uninterruptibly(() -> writeFully(segment.channel, bytes, offset));
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
            segment.live++;
            return new Appended(new Location(segment, offset + frameLine.length, bytes.length - frameLine.length), commit.register());
        }
    }

    /** Returns once the appended record is on disk (one fsync covers a whole batch of appends). */
    void awaitDurable(String id, Appended appended) throws IOException {
        try {
            commit.await(appended.ticket);
        } catch (IOException e) {
            // not acknowledged: do not let a restart deliver what the client will send again
            try {
                uninterruptibly(() -> markDone(id, appended.location));
            } catch (IOException done) {
                e.addSuppressed(done);
            }
            throw e;
        }
    }

    /** Reads and verifies a record. */
    SpoolFileFormat.Record read(Location location) throws IOException, CorruptSpoolFileException {
        return SpoolFileFormat.decode(uninterruptibly(() -> readRaw(location)), location.describe());
    }

    /** The mail has left the queue (processed, or removed by an operator). */
    void markDone(String id, Location location) throws IOException {
        synchronized (lock) {
            Segment segment = location.segment;
            if (segment.deleted) {
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
            segment.live--;
            if (segment.live <= 0 && segment != current) {
                retire(segment);
            }
        }
    }

    /** Copies a record that cannot be read back to corrupt/ and takes it out of the journal. */
    void quarantine(String id, Location location, String reason) {
        try {
            byte[] raw = readRaw(location);
            Path target = copyToCorrupt(location.segment, location.offset, id, raw);
            LOGGER.error("{}: journal record {} is corrupt ({}): copied to {}", id, location.describe(), reason, target);
            uninterruptibly(() -> markDone(id, location));
        } catch (IOException e) {
            LOGGER.error("{}: journal record {} is corrupt ({}) and cannot be moved aside", id, location.describe(), reason, e);
        }
    }

    @Override
    public void close() {
        closed = true;
        background.shutdown();
        try {
            // pending deletions finish; what does not is done again by the next start's recovery
            background.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            for (Segment segment : segments.values()) {
                segment.close();
            }
            if (prepared != null && prepared.isDone()) {
                try {
                    prepared.get().close();
                } catch (ExecutionException | InterruptedException e) {
                    // never created: nothing to close
                }
            } else if (prepared != null) {
                LOGGER.warn("journal: the next segment was still being made at close");
            }
        }
    }

    private static byte[] readRaw(Location location) throws IOException {
        byte[] bytes = readRange(location.segment, location.offset, location.length);
        if (bytes.length < location.length) {
            throw new IOException(location.describe() + ": segment ends inside the record");
        }
        return bytes;
    }

    /** The group commit's sync: the segments filled since the last one, then the current one. */
    private void syncCurrent() throws IOException {
        List<Segment> toSync;
        synchronized (lock) {
            toSync = new ArrayList<>(rolled);
            rolled.clear();
            toSync.add(current);
        }
        for (Segment segment : toSync) {
            sync(segment);
        }
    }

    private void sync(Segment segment) throws IOException {
        try {
            uninterruptibly(() -> segment.channel.force(false));
        } catch (ClosedChannelException e) {
            synchronized (lock) {
                if (!segment.deleted) {
                    throw e;
                }
            }
            // all its mails were done (and so synced) before this sync reached it: nothing to sync
        }
    }

    /**
     * Runs journal I/O with the thread's interrupt flag cleared (and set again after): an
     * interrupt during FileChannel I/O closes the channel, which every other thread shares.
     */
    private static void uninterruptibly(IoAction action) throws IOException {
        uninterruptibly(() -> {
            action.run();
            return null;
        });
    }

    private static <T> T uninterruptibly(IoSupplier<T> action) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            return action.get();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    @FunctionalInterface
    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    /** The current segment, or a new one when this record would make it too big. */
    private Segment segmentWithRoomFor(int length) throws IOException {
        if (current.size > current.firstRecord() && current.size + length > segmentSize) {
            Segment full = current;
            if (fsync) {
                // appends already registered with the group commit may still wait for this segment
                rolled.add(full);
            }
            current = nextSegment();
            segments.put(current.number, current);
            if (full.live <= 0) {
                retire(full);
            }
        }
        long end = current.size + length;
        // not filled ahead yet (a new segment, or the filler fell behind): fill it now
        preallocate(current, end);
        if (current.allocated - end < PREALLOCATION_BYTES / 2 && current.allocated < segmentSize && !current.filling) {
            current.filling = true;
            Segment segment = current;
            inBackground(() -> fillAhead(segment), () -> segment.filling = false);
        }
        if (prepared == null && current.size >= segmentSize / 2 && !closed) {
            long number = nextNumber++;
            try {
                prepared = background.submit(() -> createSegment(number));
            } catch (RejectedExecutionException e) {
                // closing: the next roll creates its segment itself
            }
        }
        return current;
    }

    /** The segment created ahead, or (it failed, or none was asked for yet) a new one now. */
    private Segment nextSegment() throws IOException {
        Future<Segment> ahead = prepared;
        prepared = null;
        if (ahead != null) {
            try {
                return Uninterruptibles.getUninterruptibly(ahead);
            } catch (ExecutionException e) {
                LOGGER.warn("journal: the next segment could not be created ahead ({}), creating it now", e.getCause().toString());
            }
        }
        return createSegment(nextNumber++);
    }

    /** Runs a task on the background thread, or {@code otherwise} when it no longer takes tasks. */
    private void inBackground(Runnable task, Runnable otherwise) {
        try {
            background.execute(task);
        } catch (RejectedExecutionException e) {
            otherwise.run();
        }
    }

    /** Zero-fills the next chunk of a segment off the append path, so appends rarely wait for it. */
    private void fillAhead(Segment segment) {
        try {
            if (!segment.deleted) {
                preallocate(segment, segment.allocated + 1);
            }
        } catch (IOException e) {
            if (!segment.deleted && !closed) {
                // appends will fill synchronously and report the error to their callers
                LOGGER.warn("journal segment {}: cannot preallocate ahead: {}", segment.file, e.toString());
            }
        } finally {
            segment.filling = false;
        }
    }

    /**
     * Zero-fills the segment, and syncs it with its new size, ahead of the write position. Appends
     * then overwrite blocks that are already allocated and written, so their fdatasync writes the
     * data and commits no metadata (no file-system journal commit per batch); the file's size and
     * blocks change once per {@link #PREALLOCATION_BYTES}. Recovery reads the zeros after the last
     * record as the unused end of the segment.
     */
    private void preallocate(Segment segment, long end) throws IOException {
        if (end <= segment.allocated) {
            // the usual case, and it must not wait for the background thread's fill of the next chunk
            return;
        }
        // the filler and an append that outran it never write zeros over the same range
        synchronized (fillLock) {
            if (end <= segment.allocated) {
                return;
            }
            long target = Math.max(end, Math.min(segment.allocated + PREALLOCATION_BYTES, segmentSize));
            long from = segment.allocated;
            uninterruptibly(() -> {
                writeZeros(segment.channel, from, target);
                if (fsync) {
                    segment.channel.force(true);
                }
            });
            segment.allocated = target;
        }
    }

    /**
     * A new, empty segment with a new epoch, made under a spare name and renamed once its header is
     * on disk. A spare is reused when there is one: appends then overwrite blocks the file already
     * has (no zero fill, no allocation, nothing for an fdatasync but the data); its old records
     * stay until overwritten, under an older epoch. A new file gets its first chunk zero-filled.
     */
    private Segment createSegment(long number) throws IOException {
        Segment segment = new Segment(number, directory);
        segment.epoch = newEpoch();
        segment.size = HEADER_LENGTH;
        Path spare;
        synchronized (spares) {
            spare = spares.poll();
        }
        segment.reused = spare != null;
        Path file = segment.reused ? spare : newSpareName();
        try {
            segment.channel = segment.reused
                ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE), SpoolDirectory.fileAttributes());
            segment.allocated = segment.channel.size();
            // zeros first (a new file), then the header over them
            preallocate(segment, HEADER_LENGTH);
            uninterruptibly(() -> {
                writeFully(segment.channel, header(segment), 0);
                // a reused file's header is synced even with fsync off: an old header surviving a
                // power loss would bring back all its old records, their done log being gone
                if (fsync || segment.reused) {
                    segment.channel.force(true);
                }
            });
            Files.move(file, segment.file, StandardCopyOption.ATOMIC_MOVE);
            if (fsync) {
                GroupCommit.forceDirectory(directory);
            }
        } catch (IOException | RuntimeException e) {
            segment.close();
            throw e;
        }
        return segment;
    }

    private long newEpoch() {
        long epoch;
        do {
            epoch = random.nextLong();
        } while (epoch == LEGACY_EPOCH);
        return epoch;
    }

    private Path newSpareName() {
        return directory.resolve(SPARE_PREFIX + hex16(newEpoch()));
    }

    private static byte[] header(Segment segment) {
        return (HEADER_MAGIC + hex16(segment.epoch) + " " + (segment.reused ? 'r' : 'n') + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads a segment's header into it. False when the header cannot be read: then nothing tells
     * this segment's records from older content of the file.
     */
    private boolean readHeader(Segment segment, long size) throws IOException {
        String text = new String(readRange(segment, 0, (int) Math.min(HEADER_LENGTH, size)), StandardCharsets.US_ASCII);
        // an earlier version's segment: its records, or the zeros it was preallocated with
        if (size == 0 || text.startsWith(LEGACY_FRAME_MAGIC) || text.chars().allMatch(c -> c == 0)) {
            segment.epoch = LEGACY_EPOCH;
            return true;
        }
        if (text.length() != HEADER_LENGTH || !text.startsWith(HEADER_MAGIC) || !text.endsWith("\n")
            || text.charAt(HEADER_LENGTH - 3) != ' ' || "nr".indexOf(text.charAt(HEADER_LENGTH - 2)) < 0) {
            return false;
        }
        try {
            segment.epoch = Long.parseUnsignedLong(text.substring(HEADER_MAGIC.length(), HEADER_MAGIC.length() + 16), 16);
        } catch (NumberFormatException e) {
            return false;
        }
        segment.reused = text.charAt(HEADER_LENGTH - 2) == 'r';
        return segment.epoch != LEGACY_EPOCH;
    }

    /** At start: spares left by the last run are kept for reuse (up to {@link #MAX_SPARES}). */
    private void keepSpares() throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, SPARE_PREFIX + "*")) {
            files.forEach(found::add);
        }
        Collections.sort(found);
        for (Path spare : found) {
            if (spares.size() < MAX_SPARES) {
                spares.add(spare);
            } else {
                Files.deleteIfExists(spare);
            }
        }
    }

    /** At start: a done log whose segment is gone (a crash while it was retired) is deleted. */
    private void deleteOrphanDoneLogs() throws IOException {
        List<Path> orphans = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, SEGMENT_PREFIX + "*" + DONE_SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (!Files.exists(file.resolveSibling(name.substring(0, name.length() - DONE_SUFFIX.length())))) {
                    orphans.add(file);
                }
            }
        }
        for (Path orphan : orphans) {
            Files.deleteIfExists(orphan);
        }
    }

    private List<Long> segmentNumbers() throws IOException {
        List<Long> numbers = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, SEGMENT_PREFIX + "*")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(DONE_SUFFIX)) {
                    continue;
                }
                try {
                    numbers.add(Long.parseUnsignedLong(name.substring(SEGMENT_PREFIX.length()), 16));
                } catch (NumberFormatException e) {
                    LOGGER.warn("ignoring {}: not a journal segment", file);
                }
            }
        }
        Collections.sort(numbers);
        return numbers;
    }

    /** Reads one segment back; a damaged record or tail is copied aside, the rest is kept. */
    private void recover(long number, List<Recovered> recovered) throws IOException {
        Segment segment = new Segment(number, directory);
        segment.channel = FileChannel.open(segment.file, StandardOpenOption.READ);
        long size = segment.channel.size();
        if (!readHeader(segment, size)) {
            segment.close();
            moveToCorrupt(segment);
            return;
        }
        segments.put(number, segment);
        Set<String> done = doneIds(segment.doneFile);
        long position = segment.firstRecord();
        while (position < size) {
            Frame frame = readFrame(segment, position, size);
            if (frame == null || frame.owner != segment.epoch) {
                position = skipDamage(segment, position, size);
                continue;
            }
            Location location = new Location(segment, position + frame.lineLength, frame.recordLength);
            position = location.offset + location.length;
            if (done.contains(frame.id)) {
                continue;
            }
            try {
                recovered.add(new Recovered(frame.id, location, read(location).envelope));
                segment.live++;
            } catch (CorruptSpoolFileException e) {
                Path target = copyToCorrupt(segment, location.offset, frame.id, readRaw(location));
                LOGGER.error("{}: corrupt journal record, {}: copied to {}", frame.id, e.getMessage(), target);
            }
        }
        segment.size = size;
        segment.allocated = size;
        if (segment.live == 0) {
            retire(segment);
        }
    }

    /** The frame line at {@code position}, or null when there is none (end of the written part, or damage). */
    private Frame readFrame(Segment segment, long position, long size) throws IOException {
        String text = new String(readRange(segment, position, (int) Math.min(MAX_FRAME_LINE, size - position)), StandardCharsets.US_ASCII);
        int end = text.indexOf('\n');
        boolean legacy = text.startsWith(LEGACY_FRAME_MAGIC);
        if (!(legacy || text.startsWith(FRAME_MAGIC)) || end < 0) {
            return null;
        }
        String[] fields = text.substring(FRAME_MAGIC.length(), end).split(" ");
        int count = legacy ? 2 : 3;
        if (fields.length != count || fields[count - 1].length() != 16 || !legacy && fields[0].length() != 16) {
            return null;
        }
        try {
            long owner = legacy ? LEGACY_EPOCH : Long.parseUnsignedLong(fields[0], 16);
            if (!legacy && owner == LEGACY_EPOCH) {
                // never drawn: only something written to pass for a legacy segment's record
                return null;
            }
            String id = SpoolNames.checked(fields[count - 2]);
            long length = Long.parseUnsignedLong(fields[count - 1], 16);
            if (length < SpoolFileFormat.HEADER_LENGTH + SpoolFileFormat.TRAILER_LENGTH || length > Integer.MAX_VALUE - 64
                || position + end + 1 + length > size) {
                return null;
            }
            return new Frame(owner, id, end + 1, (int) length);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Bytes at {@code position} that are no record of this segment: skips to its next readable
     * record and returns its offset (or the end). After the last record there are zeros (the
     * preallocated, unused end) or, in a reused file, what it held before (records of an older
     * epoch, pieces of them): neither is reported. Anything else is copied to corrupt/ for the
     * operator: at the very end of a segment an append a crash cut short (a sync covers all of a
     * record, so its client got no 250), elsewhere damage.
     */
    private long skipDamage(Segment segment, long position, long size) throws IOException {
        long next = nextReadableRecord(segment, position + 1, size);
        boolean atEnd = next == size;
        if (atEnd && segment.reused && !startsLikeARecordOf(segment, position, size)) {
            return size;
        }
        // in a reused file, what follows a cut-short frame line is old content: copy the line only
        long length = (atEnd ? Math.min(size, position + (segment.reused ? MAX_FRAME_LINE : MAX_CUT_SHORT_COPY)) : next) - position;
        byte[] damaged = readRange(segment, position, (int) length);
        int end = damaged.length;
        while (end > 0 && damaged[end - 1] == 0) {
            end--;
        }
        if (end == 0) {
            if (!atEnd) {
                LOGGER.warn("journal segment {}: {} zero bytes between records at offset {}", segment.file, length, position);
            }
            return next;
        }
        Path target = copyToCorrupt(segment, position, "damaged", java.util.Arrays.copyOf(damaged, end));
        if (atEnd) {
            LOGGER.warn("journal segment {}: an append cut short by a crash at offset {} (never acknowledged): copied to {}",
                segment.file, position, target);
            return size;
        }
        LOGGER.error("journal segment {}: {} unreadable bytes at offset {} (overwritten or damaged): copied to {}",
            segment.file, length, position, target);
        return next;
    }

    private boolean startsLikeARecordOf(Segment segment, long position, long size) throws IOException {
        String start = new String(readRange(segment, position, (int) Math.min(FRAME_MAGIC.length() + 16, size - position)), StandardCharsets.US_ASCII);
        return segment.epoch == LEGACY_EPOCH ? start.startsWith(LEGACY_FRAME_MAGIC) : start.equals(FRAME_MAGIC + hex16(segment.epoch));
    }

    /** A segment whose header cannot be read goes to corrupt/ whole, with its done log, for an operator. */
    private void moveToCorrupt(Segment segment) throws IOException {
        SpoolDirectory.createPrivateDirectories(corrupt);
        Path target = corrupt.resolve("journal-" + segment.file.getFileName() + "-header-" + SpoolNames.newQueueId());
        Files.move(segment.file, target);
        if (Files.exists(segment.doneFile)) {
            Files.move(segment.doneFile, target.resolveSibling(target.getFileName() + DONE_SUFFIX));
        }
        if (fsync) {
            GroupCommit.forceDirectory(corrupt);
            GroupCommit.forceDirectory(directory);
        }
        LOGGER.error("journal segment {}: its header is unreadable, so its records cannot be told from older content of the file: moved to {} for an operator",
            segment.file, target);
    }

    /** The offset of the first frame of this segment from {@code from} on whose record reads back intact, or the end. */
    private long nextReadableRecord(Segment segment, long from, long size) throws IOException {
        byte[] magic = "PRJ".getBytes(StandardCharsets.US_ASCII);
        long position = from;
        while (position < size) {
            byte[] chunk = readRange(segment, position, (int) Math.min(size - position, 1 << 20));
            for (int i = 0; i + magic.length <= chunk.length; i++) {
                if (chunk[i] == magic[0] && startsWith(chunk, i, magic)) {
                    Frame frame = readFrame(segment, position + i, size);
                    if (frame != null && frame.owner == segment.epoch && isIntact(new Location(segment, position + i + frame.lineLength, frame.recordLength))) {
                        return position + i;
                    }
                }
            }
            position += Math.max(1, chunk.length - magic.length + 1);
        }
        return size;
    }

    private boolean isIntact(Location location) throws IOException {
        try {
            SpoolFileFormat.decode(readRaw(location), location.describe());
            return true;
        } catch (CorruptSpoolFileException e) {
            return false;
        }
    }

    private static boolean startsWith(byte[] bytes, int offset, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[offset + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] readRange(Segment segment, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining() && segment.channel.read(buffer, position + buffer.position()) >= 0) {
            // until the range is read or the file ends
        }
        return buffer.position() == length ? buffer.array() : java.util.Arrays.copyOf(buffer.array(), buffer.position());
    }

    private Path copyToCorrupt(Segment segment, long offset, String id, byte[] bytes) throws IOException {
        SpoolDirectory.createPrivateDirectories(corrupt);
        Path target = corrupt.resolve("journal-" + segment.file.getFileName() + "-" + offset + "-" + SpoolNames.checked(id) + "-" + SpoolNames.newQueueId());
        try (FileChannel out = FileChannel.open(target, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), SpoolDirectory.fileAttributes())) {
            writeFully(out, bytes, 0);
            if (fsync) {
                out.force(false);
            }
        }
        if (fsync) {
            // the journal forgets the record next: its copy must be on disk first
            GroupCommit.forceDirectory(corrupt);
        }
        return target;
    }

    /** The ids in a done log. A line a crash cut short does not count, and is ended so that the next id starts a line. */
    private static Set<String> doneIds(Path doneFile) throws IOException {
        Set<String> ids = new HashSet<>();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(doneFile);
        } catch (NoSuchFileException e) {
            return ids;
        }
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                ids.add(new String(bytes, start, i - start, StandardCharsets.US_ASCII));
                start = i + 1;
            }
        }
        if (start < bytes.length) {
            Files.write(doneFile, new byte[] {'\n'}, StandardOpenOption.APPEND);
        }
        return ids;
    }

    /**
     * Takes a segment whose mails are all done out of the journal. Its file becomes a spare, in the
     * background: freeing (and, on a file system mounted with discard, trimming) 64 MiB makes the
     * file system's next journal commit, and every fdatasync waiting for it, take a hundred
     * milliseconds and more; closing it waits for a sync still running on it.
     */
    private void retire(Segment segment) {
        segment.deleted = true;
        segments.remove(segment.number);
        inBackground(() -> keepAsSpare(segment), () -> {
            segment.close();
            deleteFiles(segment);
        });
    }

    private void keepAsSpare(Segment segment) {
        segment.close();
        boolean keep;
        synchronized (spares) {
            keep = spares.size() < MAX_SPARES && !closed;
        }
        if (!keep) {
            deleteFiles(segment);
            return;
        }
        Path spare = newSpareName();
        try {
            // renamed first: a crash in between leaves a done log without its segment, never the reverse
            Files.move(segment.file, spare, StandardCopyOption.ATOMIC_MOVE);
            Files.deleteIfExists(segment.doneFile);
            synchronized (spares) {
                spares.add(spare);
            }
        } catch (IOException e) {
            // its mails are all done: the next start reads it back, finds nothing to do and retires it
            LOGGER.warn("journal segment {}: cannot keep as a spare: {}", segment.file, e.toString());
        }
    }

    private static void deleteFiles(Segment segment) {
        try {
            // segment first: a crash in between leaves a done log without its segment, never the reverse
            Files.deleteIfExists(segment.file);
            Files.deleteIfExists(segment.doneFile);
        } catch (IOException e) {
            // its mails are all done: the next start reads it back, finds nothing to do and retires it
            LOGGER.warn("journal segment {}: cannot delete: {}", segment.file, e.toString());
        }
    }

    private static void writeZeros(FileChannel channel, long from, long to) throws IOException {
        byte[] zeros = new byte[64 * 1024];
        for (long position = from; position < to; position += zeros.length) {
            ByteBuffer buffer = ByteBuffer.wrap(zeros, 0, (int) Math.min(zeros.length, to - position));
            while (buffer.hasRemaining()) {
                channel.write(buffer, position + buffer.position());
            }
        }
    }

    private static void writeFully(FileChannel channel, byte[] bytes, long position) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer, position + buffer.position());
        }
    }

    private static byte[] frameLine(long segment, String id, long recordLength) {
        return (FRAME_MAGIC + hex16(segment) + " " + id + " " + hex16(recordLength) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static int frameLineLength(String id) {
        return FRAME_MAGIC.length() + 16 + 1 + id.length() + 1 + 16 + 1;
    }

    private static String hex16(long value) {
        String hex = Long.toHexString(value);
        return "0".repeat(16 - hex.length()) + hex;
    }

    /** Where a record is: its segment, and the offset and length of its spool-format bytes. */
    /** A record written but maybe not yet on disk, with its group-commit ticket. */
    static final class Appended {
        final Location location;
        final long ticket;

        private Appended(Location location, long ticket) {
            this.location = location;
            this.ticket = ticket;
        }
    }

    static final class Location {
        private final Segment segment;
        final long offset;
        final int length;

        private Location(Segment segment, long offset, int length) {
            this.segment = segment;
            this.offset = offset;
            this.length = length;
        }

        /** For log lines and errors: the segment file and the offset. */
        Path describe() {
            return segment.file.resolveSibling(segment.file.getFileName() + "@" + offset);
        }
    }

    /** A record read back at start that is not done yet. */
    static final class Recovered {
        final String id;
        final Location location;
        final byte[] envelope;

        Recovered(String id, Location location, byte[] envelope) {
            this.id = id;
            this.location = location;
            this.envelope = envelope;
        }
    }

    private static final class Frame {
        /** The segment the record was written to: another one's when the file was reused since. */
        final long owner;
        final String id;
        final int lineLength;
        final int recordLength;

        Frame(long owner, String id, int lineLength, int recordLength) {
            this.owner = owner;
            this.id = id;
            this.lineLength = lineLength;
            this.recordLength = recordLength;
        }
    }

    private static final class Segment {
        final long number;
        final Path file;
        final Path doneFile;
        FileChannel channel;
        FileChannel doneLog;
        long size;
        /** End of the zeros written (and synced) ahead: appends stay below it. */
        volatile long allocated;
        volatile boolean filling;
        int live;
        volatile boolean deleted;
        /** Drawn when the file became this segment; its records carry it. */
        long epoch;
        /** The file was a spare: after the last record comes what it held before. */
        boolean reused;
        /** Where the records start: after the header, or at 0 in a segment of an earlier version. */
        long firstRecord() {
            return epoch == LEGACY_EPOCH ? 0 : HEADER_LENGTH;
        }

        Segment(long number, Path directory) {
            this.number = number;
            String hex = Long.toHexString(number);
            this.file = directory.resolve(SEGMENT_PREFIX + "0".repeat(16 - hex.length()) + hex);
            this.doneFile = directory.resolve(file.getFileName() + DONE_SUFFIX);
        }

        void close() {
            closeQuietly(channel);
            closeDoneLog();
        }

        void closeDoneLog() {
            closeQuietly(doneLog);
            doneLog = null;
        }

        private static void closeQuietly(FileChannel channel) {
            if (channel == null) {
                return;
            }
            try {
                channel.close();
            } catch (IOException e) {
                LOGGER.warn("cannot close a journal file", e);
            }
        }
    }
}
