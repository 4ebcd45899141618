package org.policyrouter.spool;

import static org.policyrouter.spool.JournalIo.readRange;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads journal segments back at start. Records without a done mark are the queue again; message
 * records that are done still report where their body is (a copy or a retry elsewhere may refer
 * to it). A damaged record or unreadable bytes are copied to {@code corrupt/} and reading goes on
 * at the next intact record; after the last record come zeros (the preallocated end) or, in a
 * reused file, its old records under another epoch: neither is reported.
 */
final class JournalRecovery {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    /** How much of an append cut short at the end of a new segment is copied to corrupt/. */
    private static final int MAX_CUT_SHORT_COPY = 1 << 20;

    /** A record read back. */
    static final class Recovered {
        final String id;
        final JournalFormat.Kind kind;
        final JournalLocation location;
        final boolean done;
        /** The envelope of a record not done yet; null for a done one. */
        final byte[] envelope;

        Recovered(String id, JournalFormat.Kind kind, JournalLocation location, boolean done, byte[] envelope) {
            this.id = id;
            this.kind = kind;
            this.location = location;
            this.done = done;
            this.envelope = envelope;
        }
    }

    private final Path directory;
    private final Path corrupt;
    private final boolean fsync;

    JournalRecovery(Path directory, Path corrupt, boolean fsync) {
        this.directory = directory;
        this.corrupt = corrupt;
        this.fsync = fsync;
    }

    /**
     * Reads one segment back; {@code records} receives its records in the order they were written.
     * Null when its header cannot be read: then nothing tells its records from older content of the
     * file, and the whole segment goes to corrupt/ for an operator.
     */
    JournalSegment recover(long number, Consumer<Recovered> records) throws IOException {
        JournalSegment segment = new JournalSegment(number, directory);
        segment.channel = FileChannel.open(segment.file, StandardOpenOption.READ);
        long size = segment.channel.size();
        long[] header = JournalFormat.parseHeader(new String(readRange(segment.channel, 0, (int) Math.min(JournalFormat.HEADER_LENGTH, size)),
            StandardCharsets.US_ASCII));
        if (header == null) {
            segment.close();
            moveToCorrupt(segment);
            return null;
        }
        segment.epoch = header[0];
        segment.reused = header[1] == 1;
        Set<String> done = doneIds(segment.doneFile);
        long position = JournalFormat.HEADER_LENGTH;
        while (position < size) {
            JournalFormat.Frame frame = readFrame(segment, position, size);
            if (frame == null || frame.owner != segment.epoch) {
                position = skipDamage(segment, position, size);
                continue;
            }
            JournalLocation location = new JournalLocation(segment, position + frame.lineLength, frame.recordLength);
            position = location.offset + location.length;
            boolean isDone = done.contains(frame.id);
            if (isDone && frame.kind == JournalFormat.Kind.ENVELOPE) {
                continue;
            }
            try {
                byte[] envelope = SpoolFileFormat.decode(readRaw(location), location.describe()).envelope;
                records.accept(new Recovered(frame.id, frame.kind, location, isDone, isDone ? null : envelope));
            } catch (CorruptSpoolFileException e) {
                if (isDone) {
                    // done messages are read back only for their body: a quarantined one (copied to
                    // corrupt/ then marked done) would otherwise be copied again at every start
                    LOGGER.warn("{}: done journal message {} is damaged ({}): an envelope that still refers to its body will be moved aside",
                        frame.id, location.describe(), e.getMessage());
                    continue;
                }
                Path target = copyToCorrupt(segment, location.offset, frame.id, readRaw(location));
                LOGGER.error("{}: corrupt journal record, {}: copied to {}", frame.id, e.getMessage(), target);
            }
        }
        segment.size = size;
        segment.allocated = size;
        return segment;
    }

    static byte[] readRaw(JournalLocation location) throws IOException {
        byte[] bytes = readRange(location.segment.channel, location.offset, location.length);
        if (bytes.length < location.length) {
            throw new IOException(location.describe() + ": segment ends inside the record");
        }
        return bytes;
    }

    private static JournalFormat.Frame readFrame(JournalSegment segment, long position, long size) throws IOException {
        String text = new String(readRange(segment.channel, position, (int) Math.min(JournalFormat.MAX_FRAME_LINE, size - position)),
            StandardCharsets.US_ASCII);
        return JournalFormat.parseFrame(text, position, size);
    }

    /**
     * Bytes at {@code position} that are no record of this segment: skips to its next readable
     * record and returns its offset (or the end). Zeros and a reused file's old content are not
     * reported; anything else is copied to corrupt/ for the operator: at the very end of a segment
     * an append a crash cut short (a sync covers all of a record, so its client got no 250),
     * elsewhere damage.
     */
    private long skipDamage(JournalSegment segment, long position, long size) throws IOException {
        long next = nextReadableRecord(segment, position + 1, size);
        boolean atEnd = next == size;
        if (atEnd && segment.reused && !startsLikeARecordOf(segment, position, size)) {
            return size;
        }
        // in a reused file, what follows a cut-short frame line is old content: copy the line only
        long length = (atEnd ? Math.min(size, position + (segment.reused ? JournalFormat.MAX_FRAME_LINE : MAX_CUT_SHORT_COPY)) : next) - position;
        byte[] damaged = readRange(segment.channel, position, (int) length);
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
        Path target = copyToCorrupt(segment, position, "damaged", Arrays.copyOf(damaged, end));
        if (atEnd) {
            LOGGER.warn("journal segment {}: an append cut short by a crash at offset {} (never acknowledged): copied to {}",
                segment.file, position, target);
            return size;
        }
        LOGGER.error("journal segment {}: {} unreadable bytes at offset {} (overwritten or damaged): copied to {}",
            segment.file, length, position, target);
        return next;
    }

    private static boolean startsLikeARecordOf(JournalSegment segment, long position, long size) throws IOException {
        String start = new String(readRange(segment.channel, position, (int) Math.min(JournalFormat.FRAME_MAGIC.length() + 16, size - position)),
            StandardCharsets.US_ASCII);
        return start.equals(JournalFormat.FRAME_MAGIC + JournalFormat.hex16(segment.epoch));
    }

    /** The offset of the first frame of this segment from {@code from} on whose record reads back intact, or the end. */
    private static long nextReadableRecord(JournalSegment segment, long from, long size) throws IOException {
        byte[] magic = "PRJ".getBytes(StandardCharsets.US_ASCII);
        long position = from;
        while (position < size) {
            byte[] chunk = readRange(segment.channel, position, (int) Math.min(size - position, 1 << 20));
            for (int i = 0; i + magic.length <= chunk.length; i++) {
                if (chunk[i] == magic[0] && chunk[i + 1] == magic[1] && chunk[i + 2] == magic[2]) {
                    JournalFormat.Frame frame = readFrame(segment, position + i, size);
                    if (frame != null && frame.owner == segment.epoch
                        && isIntact(new JournalLocation(segment, position + i + frame.lineLength, frame.recordLength))) {
                        return position + i;
                    }
                }
            }
            position += Math.max(1, chunk.length - magic.length + 1);
        }
        return size;
    }

    private static boolean isIntact(JournalLocation location) throws IOException {
        try {
            SpoolFileFormat.decode(readRaw(location), location.describe());
            return true;
        } catch (CorruptSpoolFileException e) {
            return false;
        }
    }

    /** A segment whose header cannot be read goes to corrupt/ whole, with its done log, for an operator. */
    private void moveToCorrupt(JournalSegment segment) throws IOException {
        SpoolDirectory.createPrivateDirectories(corrupt);
        Path target = corrupt.resolve("journal-" + segment.file.getFileName() + "-header-" + SpoolNames.newQueueId());
        Files.move(segment.file, target);
        if (Files.exists(segment.doneFile)) {
            Files.move(segment.doneFile, target.resolveSibling(target.getFileName() + JournalFormat.DONE_SUFFIX));
        }
        if (fsync) {
            GroupCommit.forceDirectory(corrupt);
            GroupCommit.forceDirectory(directory);
        }
        LOGGER.error("journal segment {}: its header is unreadable, so its records cannot be told from older content of the file: moved to {} for an operator",
            segment.file, target);
    }

    /** Copies bytes of a segment to corrupt/, synced before the journal forgets them. */
    Path copyToCorrupt(JournalSegment segment, long offset, String id, byte[] bytes) throws IOException {
        SpoolDirectory.createPrivateDirectories(corrupt);
        Path target = corrupt.resolve("journal-" + segment.file.getFileName() + "-" + offset + "-" + SpoolNames.checked(id) + "-" + SpoolNames.newQueueId());
        try (FileChannel out = FileChannel.open(target, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), SpoolDirectory.fileAttributes())) {
            JournalIo.writeFully(out, bytes, 0);
            if (fsync) {
                out.force(false);
            }
        }
        if (fsync) {
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
}
