package org.policyrouter.spool;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where the spool lives and how it writes. One spool holds every James queue that uses it (an
 * envelope names its queue), so the copies and retries of a message share its body whichever
 * queue they wait in:
 *
 * <pre>
 * lock          the spool lock (PID of the process using it)
 * incoming/     the journal: accepted mails and due envelopes
 * deferred/     envelopes waiting for a time (deferred mail) or held by an operator
 * bodies/       message bodies of their own (large mails, and bodies moved out of finished journal segments)
 * corrupt/      what could not be read back, for an operator
 * </pre>
 */
public final class SpoolConfiguration {
    /** A journal segment is closed for appends at this size. */
    static final long JOURNAL_SEGMENT_BYTES = 64L * 1024 * 1024;
    /** How long a journal segment kept only by bodies of deferred mail waits before they are moved out. */
    static final Duration RELOCATION_DELAY = Duration.ofMinutes(1);

    private final Path root;
    private final boolean fsync;
    private final long journalSegmentBytes;
    private final Duration relocationDelay;

    public SpoolConfiguration(Path root, boolean fsync) {
        this(root, fsync, JOURNAL_SEGMENT_BYTES, RELOCATION_DELAY);
    }

    SpoolConfiguration(Path root, boolean fsync, long journalSegmentBytes, Duration relocationDelay) {
        this.root = root.toAbsolutePath().normalize();
        this.fsync = fsync;
        this.journalSegmentBytes = journalSegmentBytes;
        this.relocationDelay = relocationDelay;
    }

    public Path root() {
        return root;
    }

    public boolean fsync() {
        return fsync;
    }

    Path incoming() {
        return root.resolve("incoming");
    }

    Path deferred() {
        return root.resolve("deferred");
    }

    Path bodies() {
        return root.resolve("bodies");
    }

    Path corrupt() {
        return root.resolve("corrupt");
    }

    long journalSegmentBytes() {
        return journalSegmentBytes;
    }

    Duration relocationDelay() {
        return relocationDelay;
    }
}
