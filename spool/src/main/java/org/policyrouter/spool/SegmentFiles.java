package org.policyrouter.spool;

import static org.policyrouter.spool.JournalIo.uninterruptibly;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where journal segments come from and where they go: a new segment reuses a spare (a finished
 * segment's file) when there is one, else a new file zero-filled ahead of the write position; a
 * finished segment becomes a spare or is deleted. The slow file-system work — zero fill, making
 * the next segment, retiring one — runs on one background thread, so the appends of SMTP I/O
 * threads never wait for it.
 *
 * <p>Why: freeing (and, on a file system mounted with discard, trimming) 64 MiB makes the file
 * system's next journal commit, and every fdatasync waiting for it, take a hundred milliseconds
 * and more; appends into blocks that are already allocated and written make an fdatasync write
 * the data and commit no metadata.
 */
final class SegmentFiles implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    /** Spares kept; a segment finished beyond them is deleted. */
    static final int MAX_SPARES = 2;
    /** Segments are zero-filled (and synced) this far ahead of the write position. */
    static final long PREALLOCATION_BYTES = 4L * 1024 * 1024;

    private final Path directory;
    private final boolean fsync;
    private final long segmentSize;
    private final ScheduledThreadPoolExecutor background = backgroundThread("spool-journal-background");
    /**
     * Delayed tasks run on a thread of their own: the journal's offer of a segment kept only by
     * bodies takes the journal's lock (and its store's relocation unpins bodies), while an append
     * holds that lock when it waits for {@link #background} to make the next segment. On one
     * thread, a segment to make queued behind a relocation deadlocked both.
     */
    private final ScheduledThreadPoolExecutor delayed = backgroundThread("spool-journal-delayed");
    /** Held while zeros are written ahead; taken inside the journal's lock, never the other way round. */
    private final Object fillLock = new Object();
    /** Guarded by itself: an append holding the journal's lock may wait for a segment being made from a spare. */
    private final Deque<Path> spares = new ArrayDeque<>();
    private final SecureRandom random = new SecureRandom();
    private volatile boolean closed;

    SegmentFiles(Path directory, boolean fsync, long segmentSize) {
        this.directory = directory;
        this.fsync = fsync;
        this.segmentSize = segmentSize;
    }

    long segmentSize() {
        return segmentSize;
    }

    /** At start: spares left by the last run are kept for reuse (up to {@link #MAX_SPARES}), done logs without a segment deleted. */
    void tidyUp() throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, JournalFormat.SPARE_PREFIX + "*")) {
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
        List<Path> orphans = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, JournalFormat.SEGMENT_PREFIX + "*" + JournalFormat.DONE_SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (!Files.exists(file.resolveSibling(name.substring(0, name.length() - JournalFormat.DONE_SUFFIX.length())))) {
                    orphans.add(file);
                }
            }
        }
        for (Path orphan : orphans) {
            Files.deleteIfExists(orphan);
        }
    }

    /** The numbers of the segment files in the directory, in order. */
    List<Long> segmentNumbers() throws IOException {
        List<Long> numbers = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, JournalFormat.SEGMENT_PREFIX + "*")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(JournalFormat.DONE_SUFFIX)) {
                    continue;
                }
                try {
                    numbers.add(Long.parseUnsignedLong(name.substring(JournalFormat.SEGMENT_PREFIX.length()), 16));
                } catch (NumberFormatException e) {
                    LOGGER.warn("ignoring {}: not a journal segment", file);
                }
            }
        }
        Collections.sort(numbers);
        return numbers;
    }

    /**
     * A new, empty segment with a new epoch, made under a spare name and renamed once its header is
     * on disk. A spare is reused when there is one: appends then overwrite blocks the file already
     * has; its old records stay until overwritten, under an older epoch. A new file gets its first
     * chunk zero-filled.
     */
    JournalSegment create(long number) throws IOException {
        JournalSegment segment = new JournalSegment(number, directory);
        segment.epoch = random.nextLong();
        segment.size = JournalFormat.HEADER_LENGTH;
        Path spare;
        synchronized (spares) {
            spare = spares.poll();
        }
        segment.reused = spare != null;
        Path file = segment.reused ? spare : newSpareName();
        try {
            segment.channel = segment.reused
                ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
                    SpoolDirectory.fileAttributes());
            segment.allocated = segment.channel.size();
            // zeros first (a new file), then the header over them
            preallocate(segment, JournalFormat.HEADER_LENGTH);
            uninterruptibly(() -> {
                JournalIo.writeFully(segment.channel, JournalFormat.header(segment.epoch, segment.reused), 0);
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

    /** Makes a segment on the background thread; null when closing. */
    Future<JournalSegment> createAhead(long number) {
        try {
            return background.submit(() -> create(number));
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /**
     * Makes sure the segment is zero-filled up to {@code end} (now, if the background thread fell
     * behind), and asks the background thread for the next chunk once appends pass half of it.
     */
    void ensureAllocated(JournalSegment segment, long end) throws IOException {
        preallocate(segment, end);
        if (segment.allocated - end < PREALLOCATION_BYTES / 2 && segment.allocated < segmentSize && !segment.filling) {
            segment.filling = true;
            inBackground(() -> fillAhead(segment), () -> segment.filling = false);
        }
    }

    private void fillAhead(JournalSegment segment) {
        try {
            if (!segment.retired) {
                preallocate(segment, segment.allocated + 1);
            }
        } catch (IOException e) {
            if (!segment.retired && !closed) {
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
     * data and commits no metadata; the file's size and blocks change once per
     * {@link #PREALLOCATION_BYTES}. Recovery reads the zeros after the last record as the unused end.
     */
    private void preallocate(JournalSegment segment, long end) throws IOException {
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
                JournalIo.writeZeros(segment.channel, from, target);
                if (fsync) {
                    segment.channel.force(true);
                }
            });
            segment.allocated = target;
        }
    }

    /** Takes a finished segment's file away, in the background: it becomes a spare, or is deleted. */
    void retire(JournalSegment segment) {
        segment.retired = true;
        inBackground(() -> keepAsSpare(segment), () -> {
            segment.close();
            deleteFiles(segment);
        });
    }

    /** Runs a task after a delay, never on the thread that makes segments; dropped when closing. */
    void later(Runnable task, Duration delay) {
        try {
            delayed.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing: the next start decides again
        }
    }

    private void keepAsSpare(JournalSegment segment) {
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
            // nothing in it is needed: the next start reads it back, finds nothing to do and retires it
            LOGGER.warn("journal segment {}: cannot keep as a spare: {}", segment.file, e.toString());
        }
    }

    private static void deleteFiles(JournalSegment segment) {
        try {
            // segment first: a crash in between leaves a done log without its segment, never the reverse
            Files.deleteIfExists(segment.file);
            Files.deleteIfExists(segment.doneFile);
        } catch (IOException e) {
            // nothing in it is needed: the next start reads it back, finds nothing to do and retires it
            LOGGER.warn("journal segment {}: cannot delete: {}", segment.file, e.toString());
        }
    }

    private void inBackground(Runnable task, Runnable otherwise) {
        try {
            background.execute(task);
        } catch (RejectedExecutionException e) {
            otherwise.run();
        }
    }

    private static ScheduledThreadPoolExecutor backgroundThread(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
        // a check scheduled for later is dropped at close: the next start decides again
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return executor;
    }

    private Path newSpareName() {
        return directory.resolve(JournalFormat.SPARE_PREFIX + JournalFormat.hex16(random.nextLong()));
    }

    @Override
    public void close() {
        closed = true;
        // a relocation running finishes first: the retirements it leads to still go to the background thread
        delayed.shutdown();
        awaitTermination(delayed);
        background.shutdown();
        // pending retirements finish; what does not is done again by the next start's recovery
        awaitTermination(background);
    }

    private static void awaitTermination(ScheduledThreadPoolExecutor executor) {
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
