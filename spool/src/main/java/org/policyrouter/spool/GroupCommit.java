package org.policyrouter.spool;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Group commit: one fsync covers every change registered before it started. Callers that
 * registered while a sync was running wait for the next one, which then covers all of them
 * (leader/followers), so under load one fsync serves a whole batch of SMTP replies instead of one
 * each. Used for a directory's entries (renames) and for the incoming journal's appends.
 *
 * <p>A failed fsync fails every waiting caller and every later one: Linux reports a lost write
 * back only once, so a second fsync could succeed without the data. Nothing more is
 * acknowledged until a restart reads back what is really on disk (as PostgreSQL does).
 */
final class GroupCommit {
    /** Makes durable everything changed before it was called. */
    @FunctionalInterface
    interface Sync {
        void run() throws IOException;
    }

    private final Sync sync;
    private final boolean enabled;
    private long requested;
    private long synced;
    private boolean syncing;
    private IOException failure;

    GroupCommit(Sync sync, boolean enabled) {
        this.sync = sync;
        this.enabled = enabled;
    }

    /** Registers a change made before this call and returns its ticket for {@link #await}. */
    synchronized long register() {
        return ++requested;
    }

    /** Returns once every change this thread made before the call is on disk. */
    void awaitDurable() throws IOException {
        await(register());
    }

    /** Returns once the change with this ticket (and every earlier one) is on disk. */
    void await(long ticket) throws IOException {
        if (!enabled) {
            return;
        }
        while (true) {
            long upTo;
            synchronized (this) {
                while (syncing && synced < ticket && failure == null) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while waiting for the spool's fsync", e);
                    }
                }
                if (synced >= ticket) {
                    return;
                }
                if (failure != null) {
                    throw new IOException("an earlier fsync failed, nothing more can be acknowledged until a restart: " + failure.getMessage(), failure);
                }
                syncing = true;
                upTo = requested;
            }
            try {
                sync.run();
                synchronized (this) {
                    synced = Math.max(synced, upTo);
                }
            } catch (IOException | RuntimeException e) {
                synchronized (this) {
                    failure = e instanceof IOException ? (IOException) e : new IOException(e);
                }
                throw e;
            } finally {
                synchronized (this) {
                    syncing = false;
                    notifyAll();
                }
            }
        }
    }

    static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
