package org.policyrouter.spool;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import javax.mail.MessagingException;

import org.apache.james.metrics.api.Metric;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool's queue manager for deferred mail: a background thread that sleeps until the earliest
 * next attempt in the deferred repository's in-memory index (or until a store or flush wakes it),
 * then hands each due mail back to routing and removes it from the deferred queue. Bodies are
 * read one mail at a time, only when due; the disk is never rescanned.
 *
 * <p>Re-injection happens before removal: a crash in between gives a duplicate, never a loss.
 */
public final class SpoolRunner {
    /** Hands a due mail back to routing (in James: {@code MailetContext.sendMail(mail, "transport")}). */
    @FunctionalInterface
    public interface Reinjection {
        void reinject(Mail mail) throws MessagingException;
    }

    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    private static final long IDLE_WAIT_MILLIS = 60_000;
    private static final int BATCH = 100;
    private static final Duration AFTER_FAILURE = Duration.ofMinutes(1);
    private static final AtomicLong RETRY_COUNTER = new AtomicLong();

    private final SpoolMailRepository deferred;
    private final Reinjection reinjection;
    private final Clock clock;
    private final Metric retried;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeUp = lock.newCondition();
    private final Runnable listener = this::wake;
    private final Thread thread;
    private volatile boolean running = true;
    private boolean changed;

    public SpoolRunner(SpoolMailRepository deferred, Reinjection reinjection, Clock clock, Metric retried) {
        this.deferred = deferred;
        this.reinjection = reinjection;
        this.clock = clock;
        this.retried = retried;
        this.thread = new Thread(this::run, "spool-runner-" + deferred.url().getPath().asString());
        this.thread.setDaemon(true);
    }

    public void start() {
        deferred.attach(this, listener);
        thread.start();
        LOGGER.info("spool runner started on {}: {} deferred mails", deferred.url().asString(), deferred.size());
    }

    /** Stops after the mail being re-injected, if any; the rest stays on disk for the next start. */
    public void stop() {
        running = false;
        deferred.detach(this, listener);
        // a signal, not an interrupt: an interrupt would abort the file I/O of a retry in progress
        wake();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOGGER.info("spool runner stopped on {}", deferred.url().asString());
    }

    /** Re-reads the schedule now (after a store or a flush). */
    public void wake() {
        lock.lock();
        try {
            changed = true;
            wakeUp.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (running) {
            List<StoredMail> due = deferred.due(clock.millis(), BATCH);
            for (StoredMail mail : due) {
                if (!running) {
                    return;
                }
                retry(mail);
            }
            if (due.size() < BATCH && !sleepUntilDue()) {
                return;
            }
        }
    }

    /** False when interrupted (stopping). */
    private boolean sleepUntilDue() {
        lock.lock();
        try {
            if (changed) {
                changed = false;
                return true;
            }
            long wait = deferred.earliestNextAttempt().map(next -> next - clock.millis()).orElse(IDLE_WAIT_MILLIS);
            if (wait > 0) {
                wakeUp.await(Math.min(wait, IDLE_WAIT_MILLIS), TimeUnit.MILLISECONDS);
            }
            changed = false;
            return true;
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void retry(StoredMail entry) {
        try {
            Mail mail = deferred.retrieve(entry.key());
            if (mail == null) {
                return;
            }
            // a fresh name per attempt: James refuses to duplicate a mail whose name grew by more
            // than seven '-!' suffixes, which a long-deferred mail would otherwise reach
            mail.setName(entry.queueId().replace("!", "") + ".retry" + entry.retries() + "." + RETRY_COUNTER.incrementAndGet());
            reinjection.reinject(mail);
            deferred.remove(entry.key());
            retried.increment();
            LOGGER.info("{}: retrying, to=<{}>, attempt {}, deferred as {}", entry.queueId(), String.join(">,<", entry.recipients()),
                entry.retries() + 1, entry.key().asString());
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("{}: cannot retry {} now, trying again in {}", entry.queueId(), entry.key().asString(), AFTER_FAILURE, e);
            try {
                deferred.reschedule(entry.key(), clock.millis() + AFTER_FAILURE.toMillis());
            } catch (MessagingException again) {
                LOGGER.error("{}: cannot reschedule {}", entry.queueId(), entry.key().asString(), again);
            }
        }
    }
}
