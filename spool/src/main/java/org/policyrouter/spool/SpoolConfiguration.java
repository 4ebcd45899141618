package org.policyrouter.spool;

import java.nio.file.Path;

import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;

/**
 * Where the spool lives and whether it fsyncs. James's main queue ({@code spool}) is the spool's
 * {@code incoming/} and {@code active/}; any other James queue (e.g. RemoteDelivery's
 * {@code outgoing}) gets its own pair under {@code queues/<name>/}.
 */
public final class SpoolConfiguration {
    /** A journal segment is closed for appends at this size and deleted once all its mails are done. */
    static final long JOURNAL_SEGMENT_BYTES = 64L * 1024 * 1024;

    private final Path root;
    private final boolean fsync;
    private final long journalSegmentBytes;

    public SpoolConfiguration(Path root, boolean fsync) {
        this(root, fsync, JOURNAL_SEGMENT_BYTES);
    }

    SpoolConfiguration(Path root, boolean fsync, long journalSegmentBytes) {
        this.root = root.toAbsolutePath().normalize();
        this.fsync = fsync;
        this.journalSegmentBytes = journalSegmentBytes;
    }

    public Path root() {
        return root;
    }

    public boolean fsync() {
        return fsync;
    }

    Path queueDirectory(MailQueueName name) {
        return name.equals(MailQueueFactory.SPOOL) ? root : root.resolve("queues").resolve(SpoolNames.forKey(name.asString()));
    }

    Path incoming(MailQueueName name) {
        return queueDirectory(name).resolve("incoming");
    }

    /** The incoming queue's journal (small mails due now), see {@link IncomingJournal}. */
    Path journal(MailQueueName name) {
        return incoming(name).resolve("journal");
    }

    long journalSegmentBytes() {
        return journalSegmentBytes;
    }

    Path active(MailQueueName name) {
        return queueDirectory(name).resolve("active");
    }

    Path corrupt() {
        return root.resolve("corrupt");
    }
}
