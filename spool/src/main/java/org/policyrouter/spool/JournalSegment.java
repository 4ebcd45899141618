package org.policyrouter.spool;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One journal segment file and what still lives in it: envelopes not done yet, and message bodies
 * that envelopes (here or elsewhere) still refer to. Its counters are guarded by the journal's lock.
 */
final class JournalSegment {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");

    final long number;
    final Path file;
    final Path doneFile;
    FileChannel channel;
    FileChannel doneLog;
    long size;
    /** End of the zeros written (and synced) ahead: appends stay below it. */
    volatile long allocated;
    volatile boolean filling;
    /** Drawn when the file became this segment; its records carry it. */
    long epoch;
    /** The file was a spare: after the last record comes what it held before. */
    boolean reused;
    /** Envelope records not done yet. */
    int liveEnvelopes;
    /** Bodies in this segment that an envelope still refers to, with their record lengths. */
    final Map<String, Integer> pinnedBodies = new HashMap<>();
    long pinnedBytes;
    volatile boolean retired;
    /** A check whether to move its last bodies out is scheduled. */
    boolean relocationScheduled;

    JournalSegment(long number, Path directory) {
        this.number = number;
        this.file = directory.resolve(JournalFormat.segmentName(number));
        this.doneFile = directory.resolve(file.getFileName() + JournalFormat.DONE_SUFFIX);
    }

    /** Nothing in it is needed any more. */
    boolean isFinished() {
        return liveEnvelopes <= 0 && pinnedBodies.isEmpty();
    }

    /**
     * Only bodies that envelopes elsewhere refer to keep it, and they are a small part of it: moving
     * them out frees the rest. A segment mostly made of bodies still waiting (a next hop down for
     * a while) is kept as it is: moving them would free little and write them all again.
     */
    boolean worthMovingBodiesOut() {
        return liveEnvelopes <= 0 && !pinnedBodies.isEmpty() && pinnedBytes * 4 < size;
    }

    void pin(String bodyId, int length) {
        if (pinnedBodies.putIfAbsent(bodyId, length) == null) {
            pinnedBytes += length;
        }
    }

    /** False when it was not pinned here. */
    boolean unpin(String bodyId) {
        Integer length = pinnedBodies.remove(bodyId);
        if (length == null) {
            return false;
        }
        pinnedBytes -= length;
        return true;
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
