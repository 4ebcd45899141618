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
    private final Path root;
    private final boolean fsync;

    public SpoolConfiguration(Path root, boolean fsync) {
        this.root = root.toAbsolutePath().normalize();
        this.fsync = fsync;
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

    Path active(MailQueueName name) {
        return queueDirectory(name).resolve("active");
    }

    Path corrupt() {
        return root.resolve("corrupt");
    }
}
