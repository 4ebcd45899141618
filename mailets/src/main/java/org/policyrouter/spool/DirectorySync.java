package org.policyrouter.spool;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Group commit for a directory's entries: a rename becomes durable only once the directory itself
 * is fsynced, and one fsync covers every rename made before it started. Callers that renamed while
 * a sync was running wait for the next one, which then covers all of them (leader/followers), so
 * under load one fsync serves a whole batch of SMTP replies instead of one each.
 */
final class DirectorySync {
    private final Path directory;
    private final boolean enabled;
    private long requested;
    private long synced;
    private boolean syncing;

    DirectorySync(Path directory, boolean enabled) {
        this.directory = directory;
        this.enabled = enabled;
    }

    /** Returns once every entry change made by this thread before the call is on disk. */
    void awaitDurable() throws IOException {
        if (!enabled) {
            return;
        }
        long ticket;
        synchronized (this) {
            ticket = ++requested;
        }
        while (true) {
            long upTo;
            synchronized (this) {
                while (syncing && synced < ticket) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while waiting for the spool directory sync", e);
                    }
                }
                if (synced >= ticket) {
                    return;
                }
                syncing = true;
                upTo = requested;
            }
            boolean done = false;
            try {
                force(directory);
                done = true;
            } finally {
                synchronized (this) {
                    syncing = false;
                    if (done) {
                        synced = Math.max(synced, upTo);
                    }
                    notifyAll();
                }
            }
        }
    }

    static void force(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
