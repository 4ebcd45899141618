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
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incoming queue's journal: what makes an SMTP 250 cheap and still durable. Accepted mails are
 * appended, one record each, to the current segment file, and one fdatasync covers every record
 * appended before it started ({@link GroupCommit}): each SMTP reply waits for the sync of its
 * batch, and a batch costs one journal commit of the file system instead of a file creation, a
 * rename and two syncs per mail.
 *
 * <p>A record is a frame line {@code PRJ1 <queue id> <record length, hex>\n} followed by the mail
 * in the spool file format ({@link SpoolFileFormat}: envelope, message, CRC32C). A mail leaves the
 * journal when its id is appended to the segment's done log ({@code segment-….done}, not fsynced:
 * a crash may bring a finished mail back, a duplicate, never lose one); a segment whose mails are
 * all done is deleted. At start every segment is read back: records without a done mark are the
 * queue again, a damaged record or an unreadable tail is copied to {@code corrupt/}, and appends go
 * to a new segment.
 */
final class IncomingJournal implements Closeable {
    static final String SEGMENT_PREFIX = "segment-";
    static final String DONE_SUFFIX = ".done";
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    /** Segments are zero-filled (and synced) this far ahead of the write position. */
    static final long PREALLOCATION_BYTES = 4L * 1024 * 1024;
    private static final String FRAME_MAGIC = "PRJ1 ";
    private static final int MAX_FRAME_LINE = 200;

    private final Path directory;
    private final Path corrupt;
    private final boolean fsync;
    private final long segmentSize;
    private final GroupCommit commit;
    private final Object lock = new Object();
    /** Held while zeros are written ahead; taken inside {@link #lock}, never the other way round. */
    private final Object fillLock = new Object();
    private final ExecutorService filler = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "spool-journal-preallocation");
        thread.setDaemon(true);
        return thread;
    });
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    private Segment current;
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
                for (long number : journal.segmentNumbers()) {
                    journal.recover(number, recovered);
                }
                journal.startSegment(journal.segments.isEmpty() ? 1 : journal.segments.lastKey() + 1);
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
        byte[] frameLine = frameLine(id, SpoolFileFormat.HEADER_LENGTH + envelope.length + message.length + SpoolFileFormat.TRAILER_LENGTH);
        byte[] bytes = SpoolFileFormat.encode(envelope, message, frameLine.length);
        System.arraycopy(frameLine, 0, bytes, 0, frameLine.length);
        synchronized (lock) {
            Segment segment = segmentWithRoomFor(bytes.length);
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
            segment.live--;
            if (segment.live <= 0 && segment != current) {
                delete(segment);
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
        filler.shutdown();
        synchronized (lock) {
            for (Segment segment : segments.values()) {
                segment.close();
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

    private void syncCurrent() throws IOException {
        Segment segment;
        synchronized (lock) {
            segment = current;
        }
        try {
            uninterruptibly(() -> segment.channel.force(false));
        } catch (ClosedChannelException e) {
            synchronized (lock) {
                if (!segment.deleted) {
                    throw e;
                }
            }
            // rotated (and so forced) and then emptied while this sync ran: nothing left to sync
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
        if (current.size > 0 && current.size + length > segmentSize) {
            if (fsync) {
                // appends already registered with the group commit may still wait for this segment
                uninterruptibly(() -> current.channel.force(false));
            }
            Segment full = current;
            startSegment(full.number + 1);
            if (full.live <= 0) {
                delete(full);
            }
        }
        long end = current.size + length;
        // not filled ahead yet (a new segment, or the filler fell behind): fill it now
        preallocate(current, end);
        if (current.allocated - end < PREALLOCATION_BYTES / 2 && current.allocated < segmentSize && !current.filling) {
            current.filling = true;
            Segment segment = current;
            filler.execute(() -> fillAhead(segment));
        }
        return current;
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
        // the filler and an append that outran it never write zeros over the same range
        synchronized (fillLock) {
            if (end <= segment.allocated) {
                return;
            }
            long target = Math.max(end, Math.min(segment.allocated + PREALLOCATION_BYTES, segmentSize));
            long from = segment.allocated;
            uninterruptibly(() -> {
                byte[] zeros = new byte[64 * 1024];
                for (long position = from; position < target; position += zeros.length) {
                    ByteBuffer buffer = ByteBuffer.wrap(zeros, 0, (int) Math.min(zeros.length, target - position));
                    while (buffer.hasRemaining()) {
                        segment.channel.write(buffer, position + buffer.position());
                    }
                }
                if (fsync) {
                    segment.channel.force(true);
                }
            });
            segment.allocated = target;
        }
    }

    private void startSegment(long number) throws IOException {
        Segment segment = new Segment(number, directory);
        segment.channel = FileChannel.open(segment.file,
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE), SpoolDirectory.fileAttributes());
        if (fsync) {
            GroupCommit.forceDirectory(directory);
        }
        segments.put(number, segment);
        current = segment;
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
        segments.put(number, segment);
        Set<String> done = doneIds(segment.doneFile);
        long size = segment.channel.size();
        long position = 0;
        while (position < size) {
            Frame frame = readFrame(segment, position, size);
            if (frame == null) {
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
            delete(segment);
        }
    }

    /** The frame line at {@code position}, or null when there is none (end of the written part, or damage). */
    private Frame readFrame(Segment segment, long position, long size) throws IOException {
        String text = new String(readRange(segment, position, (int) Math.min(MAX_FRAME_LINE, size - position)), StandardCharsets.US_ASCII);
        int end = text.indexOf('\n');
        if (!text.startsWith(FRAME_MAGIC) || end < 0) {
            return null;
        }
        String[] fields = text.substring(FRAME_MAGIC.length(), end).split(" ");
        if (fields.length != 2 || fields[1].length() != 16) {
            return null;
        }
        try {
            SpoolNames.checked(fields[0]);
            long length = Long.parseUnsignedLong(fields[1], 16);
            if (length < SpoolFileFormat.HEADER_LENGTH + SpoolFileFormat.TRAILER_LENGTH || length > Integer.MAX_VALUE - 64
                || position + end + 1 + length > size) {
                return null;
            }
            return new Frame(fields[0], end + 1, (int) length);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Bytes at {@code position} that are no record: skips to the next readable record and returns
     * its offset (or the end). Zeros up to the end are the unused, preallocated end of the segment.
     * Anything else is copied to corrupt/ for the operator: at the very end of a segment it is an
     * append a crash cut short (a sync covers all of a record, so its client got no 250), elsewhere
     * damage.
     */
    private long skipDamage(Segment segment, long position, long size) throws IOException {
        long next = nextReadableRecord(segment, position + 1, size);
        long length = next - position;
        byte[] damaged = readRange(segment, position, (int) Math.min(length, Integer.MAX_VALUE - 64));
        int end = damaged.length;
        while (end > 0 && damaged[end - 1] == 0) {
            end--;
        }
        if (end == 0) {
            if (next < size) {
                LOGGER.warn("journal segment {}: {} zero bytes between records at offset {}", segment.file, length, position);
            }
            return next;
        }
        Path target = copyToCorrupt(segment, position, "damaged", java.util.Arrays.copyOf(damaged, end));
        if (next == size) {
            LOGGER.warn("journal segment {}: an append cut short by a crash at offset {} ({} bytes, never acknowledged): copied to {}",
                segment.file, position, end, target);
        } else {
            LOGGER.error("journal segment {}: {} unreadable bytes at offset {} (overwritten or damaged): copied to {}",
                segment.file, length, position, target);
        }
        return next;
    }

    /** The offset of the first frame from {@code from} on whose record reads back intact, or the end. */
    private long nextReadableRecord(Segment segment, long from, long size) throws IOException {
        byte[] magic = FRAME_MAGIC.getBytes(StandardCharsets.US_ASCII);
        long position = from;
        while (position < size) {
            byte[] chunk = readRange(segment, position, (int) Math.min(size - position, 1 << 20));
            for (int i = 0; i + magic.length <= chunk.length; i++) {
                if (chunk[i] == magic[0] && startsWith(chunk, i, magic)) {
                    Frame frame = readFrame(segment, position + i, size);
                    if (frame != null && isIntact(new Location(segment, position + i + frame.lineLength, frame.recordLength))) {
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

    private void delete(Segment segment) throws IOException {
        segment.close();
        segment.deleted = true;
        segments.remove(segment.number);
        // segment first: a crash in between leaves a done log without its segment, never the reverse
        Files.deleteIfExists(segment.file);
        Files.deleteIfExists(segment.doneFile);
    }

    private static void writeFully(FileChannel channel, byte[] bytes, long position) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer, position + buffer.position());
        }
    }

    private static byte[] frameLine(String id, long recordLength) {
        String length = Long.toHexString(recordLength);
        return (FRAME_MAGIC + id + " " + "0".repeat(16 - length.length()) + length + "\n").getBytes(StandardCharsets.US_ASCII);
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
        final String id;
        final int lineLength;
        final int recordLength;

        Frame(String id, int lineLength, int recordLength) {
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

        Segment(long number, Path directory) {
            this.number = number;
            String hex = Long.toHexString(number);
            this.file = directory.resolve(SEGMENT_PREFIX + "0".repeat(16 - hex.length()) + hex);
            this.doneFile = directory.resolve(file.getFileName() + DONE_SUFFIX);
        }

        void close() {
            closeQuietly(channel);
            closeQuietly(doneLog);
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
