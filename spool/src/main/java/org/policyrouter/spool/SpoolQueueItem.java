package org.policyrouter.spool;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.james.queue.api.MailQueue;
import org.apache.mailet.Mail;

/** A mail handed to a consumer; its file stays in active/ until {@link #done} says where it goes. */
final class SpoolQueueItem implements MailQueue.MailQueueItem {
    private final SpoolMailQueue queue;
    private final QueuedMail entry;
    private final Mail mail;
    private final AtomicBoolean completed = new AtomicBoolean();

    SpoolQueueItem(SpoolMailQueue queue, QueuedMail entry, Mail mail) {
        this.queue = queue;
        this.entry = entry;
        this.mail = mail;
    }

    @Override
    public Mail getMail() {
        return mail;
    }

    /** Done; or, when a mailet asked to keep the mail for a retry (a local failure), kept where it is. */
    @Override
    public void done(CompletionStatus status) throws MailQueue.MailQueueException {
        if (completed.compareAndSet(false, true)) {
            Optional<Duration> keep = status == CompletionStatus.SUCCESS ? SpoolAttributes.retryLocallyIn(mail) : Optional.empty();
            if (keep.isPresent()) {
                queue.complete(entry, CompletionStatus.RETRY, keep.get());
            } else {
                queue.complete(entry, status);
            }
        }
    }

    /** A consumer went away before it saw this item: it goes back to incoming. */
    void putBack() {
        try {
            done(CompletionStatus.RETRY);
        } catch (MailQueue.MailQueueException e) {
            throw new IllegalStateException(e);
        }
    }
}
