package org.policyrouter.spool;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.mail.MessagingException;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.mailet.Attribute;
import org.apache.mailet.Mail;
import org.policyrouter.core.HeldReplies;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * A durable James MailQueue over the spool ({@link SpoolStore}). A mail is on disk once
 * {@link #enQueue} returns, or, when called under the SMTP server's {@link HeldReplies}, once the
 * wait it handed over returns (the SMTP 250 is sent only then); it is handed to one consumer at a
 * time only after that, and leaves only when the consumer calls {@code done}. A delayed enqueue
 * (deferral) waits in {@code deferred/} and is due at its time, or earlier after a flush; a held
 * mail is never handed out until an operator releases it. At start, whatever a crash caught being
 * processed is waiting again: a mail may be processed twice, never lost.
 *
 * <p>Only envelopes and due times are kept in memory. One dispatcher thread hands due mails to the
 * consumers that asked for them.
 */
public final class SpoolMailQueue implements ManageableMailQueue {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    private static final long IDLE_WAIT_MILLIS = 60_000;
    /** A mail James's spooler rejected (it could not process it nor store it elsewhere) is tried again after this. */
    private static final Duration REJECTED_RETRY = Duration.ofMinutes(1);

    private final MailQueueName name;
    private final SpoolStore store;
    private final MailQueueItemDecoratorFactory decorators;
    private final MetricFactory metrics;
    private final String enqueueTimerName;
    private final Metric enqueuedMetric;
    private final Metric dequeuedMetric;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final TreeSet<QueuedMail> waiting = new TreeSet<>(QueuedMail.BY_DUE_TIME);
    private final Map<String, QueuedMail> held = new LinkedHashMap<>();
    private final Map<String, QueuedMail> inFlight = new HashMap<>();
    private final List<Consumer> consumers = new ArrayList<>();
    private final Thread dispatcher;
    private volatile boolean running = true;
    private int roundRobin;

    private SpoolMailQueue(MailQueueName name, SpoolStore store, MailQueueItemDecoratorFactory decorators, MetricFactory metrics) {
        this.metrics = metrics;
        this.enqueueTimerName = ENQUEUED_TIMER_METRIC_NAME_PREFIX + name.asString();
        this.name = name;
        this.store = store;
        this.decorators = decorators;
        this.enqueuedMetric = metrics.generate(ENQUEUED_METRIC_NAME_PREFIX + name.asString());
        this.dequeuedMetric = metrics.generate(DEQUEUED_METRIC_NAME_PREFIX + name.asString());
        this.dispatcher = new Thread(this::dispatch, "spool-queue-" + name.asString());
        this.dispatcher.setDaemon(true);
    }

    /** The queue over its part of the spool; what is on disk for it (including what a crash caught in processing) is waiting again. */
    static SpoolMailQueue open(MailQueueName name, SpoolStore store, MailQueueItemDecoratorFactory decorators, MetricFactory metrics,
                               GaugeRegistry gauges) {
        SpoolMailQueue queue = new SpoolMailQueue(name, store, decorators, metrics);
        for (QueuedMail mail : store.takeRecovered(name.asString())) {
            if (mail.held) {
                queue.held.put(mail.id, mail);
            } else {
                queue.waiting.add(mail);
            }
        }
        gauges.register(QUEUE_SIZE_METRIC_NAME_PREFIX + name.asString(), queue::getSize);
        queue.dispatcher.start();
        return queue;
    }

    @Override
    public MailQueueName getName() {
        return name;
    }

    @Override
    public void enQueue(Mail mail) throws MailQueueException {
        enQueue(mail, Duration.ZERO);
    }

    @Override
    public void enQueue(Mail mail, Duration delay) throws MailQueueException {
        long now = System.currentTimeMillis();
        long notBefore = dueTime(now, delay);
        TimeMetric timer = metrics.timer(enqueueTimerName);
        try {
            List<Attribute> written = new ArrayList<>();
            SpoolStore.Stored stored = store.store(name.asString(), mail, now, notBefore, written::add);
            // copied now: James disposes of the mail when its hooks return, maybe before the fsync
            Mail copy = notBefore <= now ? copyForHandOver(mail, written, stored) : null;
            String queued = queuedLine(stored.entry);
            HeldReplies.Wait durable = () -> {
                store.awaitDurable(stored);
                // durable from here on: a failure to hand it over leaves it to the dispatcher
                release(stored.entry, copy);
                enqueuedMetric.increment();
                // James logs the acceptance ("Successfully spooled mail ID …"), the agents each delivery:
                // a relayed mail is two lines by default, its copies and re-queues are DEBUG
                LOGGER.debug(queued);
            };
            // on an SMTP I/O thread the 250 waits for the fsync without blocking the thread
            if (!HeldReplies.hold(durable)) {
                durable.await();
            }
        } catch (IOException | MessagingException e) {
            throw new MailQueueException("cannot spool " + mail.getName() + " in " + name.asString() + ": " + e.getMessage(), e);
        } finally {
            timer.stopAndPublish();
        }
    }

    private String queuedLine(QueuedMail entry) {
        return entry.name + ": queued in " + name.asString() + " as " + entry.id
            + (entry.name.startsWith(entry.queueId) ? "" : ", queue ID " + entry.queueId)
            + (entry.bodyId.equals(entry.id) ? "" : ", body " + entry.bodyId)
            + ", from=<" + entry.sender.orElse("") + ">, nrcpt=" + entry.recipients.size()
            + (entry.notBefore > entry.enqueued ? ", delayed until " + Instant.ofEpochMilli(entry.notBefore) : "");
    }

    /** A durable new mail goes to a waiting consumer at once when nothing is ahead, else in line. */
    private void release(QueuedMail entry, Mail copy) {
        Consumer consumer = queueOrTake(entry, copy != null);
        if (consumer != null) {
            // a consumer is waiting and nothing is ahead: hand over now, from memory
            try {
                emit(entry, copy, consumer);
            } catch (RuntimeException e) {
                LOGGER.warn("{}: direct hand-over failed, the dispatcher will retry it", entry.id, e);
                withLock(() -> {
                    inFlight.remove(entry.id);
                    consumer.demand++;
                    waiting.add(entry);
                    changed.signalAll();
                });
            }
        }
    }

    private Mail copyForHandOver(Mail mail, List<Attribute> written, SpoolStore.Stored stored) {
        try {
            return MailCopy.of(mail, written, new SpooledMessage(stored.body));
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("{}: cannot copy for a direct hand-over, the dispatcher will read it back", stored.entry.id, e);
            return null;
        }
    }

    /**
     * Queues a new entry. With {@code direct} (due, and its message at hand) it is taken at once by
     * a consumer with demand when nothing waits ahead of it (returns that consumer); otherwise the
     * dispatcher hands it over (returns null).
     */
    private Consumer queueOrTake(QueuedMail entry, boolean direct) {
        lock.lock();
        try {
            Consumer consumer = direct && (waiting.isEmpty() || waiting.first().notBefore > entry.notBefore) ? consumerWithDemand() : null;
            if (consumer != null) {
                inFlight.put(entry.id, entry);
                consumer.demand--;
            } else {
                waiting.add(entry);
                changed.signalAll();
            }
            return consumer;
        } finally {
            lock.unlock();
        }
    }

    private static long dueTime(long now, Duration delay) {
        if (delay == null || delay.isNegative() || delay.isZero()) {
            return now;
        }
        try {
            return Math.addExact(now, delay.toMillis());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public Publisher<Void> enqueueReactive(Mail mail) {
        return Mono.fromRunnable(() -> {
            try {
                enQueue(mail);
            } catch (MailQueueException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Override
    public Publisher<MailQueueItem> deQueue() {
        return Flux.<SpoolQueueItem>create(sink -> {
            Consumer consumer = new Consumer(sink);
            sink.onRequest(requested -> withLock(() -> {
                consumer.demand = requested == Long.MAX_VALUE || consumer.demand + requested < 0 ? Long.MAX_VALUE : consumer.demand + requested;
                changed.signalAll();
            }));
            sink.onDispose(() -> withLock(() -> consumers.remove(consumer)));
            withLock(() -> {
                consumers.add(consumer);
                changed.signalAll();
            });
        })
            // an item emitted to a consumer that cancelled would otherwise wait until restart
            .doOnDiscard(SpoolQueueItem.class, SpoolQueueItem::putBack)
            .map(item -> decorators.decorate(item, name));
    }

    private void dispatch() {
        while (running) {
            QueuedMail next;
            Consumer consumer;
            lock.lock();
            try {
                long now = System.currentTimeMillis();
                QueuedMail head = waiting.isEmpty() ? null : waiting.first();
                consumer = consumerWithDemand();
                if (head == null || consumer == null || head.notBefore > now) {
                    long wait = head != null && consumer != null ? Math.min(head.notBefore - now, IDLE_WAIT_MILLIS) : IDLE_WAIT_MILLIS;
                    changed.await(wait, TimeUnit.MILLISECONDS);
                    continue;
                }
                waiting.pollFirst();
                inFlight.put(head.id, head);
                consumer.demand--;
                next = head;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            handOver(next, consumer);
        }
    }

    private Consumer consumerWithDemand() {
        for (int i = 0; i < consumers.size(); i++) {
            Consumer candidate = consumers.get(Math.floorMod(roundRobin + i, consumers.size()));
            if (candidate.demand > 0 && !candidate.sink.isCancelled()) {
                roundRobin = Math.floorMod(roundRobin + i + 1, consumers.size());
                return candidate;
            }
        }
        return null;
    }

    private void handOver(QueuedMail entry, Consumer consumer) {
        try {
            emit(entry, store.read(entry), consumer);
        } catch (NoSuchFileException e) {
            // removed by an operator between the index and the disk
            forget(entry, consumer);
        } catch (CorruptSpoolFileException e) {
            store.quarantine(entry, e.getMessage());
            forget(entry, consumer);
        } catch (IOException e) {
            LOGGER.error("spool queue {}: cannot hand over {}, retrying in 10s", name.asString(), entry.id, e);
            withLock(() -> {
                inFlight.remove(entry.id);
                consumer.demand++;
                waiting.add(entry.dueAt(System.currentTimeMillis() + 10_000, store.nextSequence()));
            });
        }
    }

    private void emit(QueuedMail entry, Mail mail, Consumer consumer) {
        SpoolQueueItem item = new SpoolQueueItem(this, entry, mail);
        dequeuedMetric.increment();
        if (consumer.sink.isCancelled()) {
            item.putBack();
        } else {
            consumer.sink.next(item);
        }
    }

    private void forget(QueuedMail entry, Consumer consumer) {
        withLock(() -> {
            inFlight.remove(entry.id);
            consumer.demand++;
        });
    }

    /** The consumer is finished with a mail: gone for good, or waiting again for a retry. */
    void complete(QueuedMail entry, MailQueueItem.CompletionStatus status) throws MailQueueException {
        complete(entry, status, Duration.ZERO);
    }

    /**
     * The consumer is finished with a mail: gone for good, or waiting again, {@code retryIn} from
     * now, where it is on disk. A local failure (a full disk, say) leaves it there: James's spooler
     * rejects a mail it could not process nor store elsewhere, and that must not lose it.
     */
    void complete(QueuedMail entry, MailQueueItem.CompletionStatus status, Duration retryIn) throws MailQueueException {
        boolean ours = supplyWithLock(() -> inFlight.containsKey(entry.id));
        if (!ours) {
            return;
        }
        if (status != MailQueueItem.CompletionStatus.SUCCESS) {
            Duration delay = status == MailQueueItem.CompletionStatus.REJECT ? REJECTED_RETRY : retryIn;
            if (status == MailQueueItem.CompletionStatus.REJECT) {
                LOGGER.error("{}: James's spooler could not process it nor store it elsewhere: kept in {}, tried again in {}", entry.name,
                    name.asString(), delay);
            }
            withLock(() -> {
                inFlight.remove(entry.id);
                waiting.add(entry.dueAt(System.currentTimeMillis() + delay.toMillis(), store.nextSequence()));
                changed.signalAll();
            });
            return;
        }
        try {
            store.done(entry);
        } catch (IOException e) {
            throw new MailQueueException("cannot complete " + entry.id + " in " + name.asString(), e);
        } finally {
            withLock(() -> inFlight.remove(entry.id));
        }
    }

    @Override
    public long getSize() {
        return supplyWithLock(() -> (long) waiting.size() + held.size() + inFlight.size());
    }

    /** The mails waiting for a later attempt: delayed, not due yet (held ones not counted). */
    public long deferredSize() {
        long now = System.currentTimeMillis();
        return supplyWithLock(() -> waiting.stream().filter(mail -> mail.notBefore > now).count());
    }

    /**
     * Makes every delayed mail due now, in its original arrival order. Like Postfix's flush, a
     * request to try now, kept in memory: after a restart a mail not tried yet waits for its time.
     */
    @Override
    public long flush() {
        return flush(mail -> true);
    }

    /** Makes the waiting mails that match due now; returns how many were delayed. */
    public long flush(Predicate<QueuedMail> which) {
        Flushes.happened();
        return supplyWithLock(() -> {
            long now = System.currentTimeMillis();
            List<QueuedMail> delayed = waiting.stream().filter(mail -> mail.notBefore > now && which.test(mail)).collect(Collectors.toList());
            for (QueuedMail mail : delayed) {
                waiting.remove(mail);
                waiting.add(mail.dueAt(Math.min(mail.enqueued, now), mail.sequence));
            }
            changed.signalAll();
            return (long) delayed.size();
        });
    }

    @Override
    public long clear() throws MailQueueException {
        return remove(mail -> true, "cleared");
    }

    @Override
    public long remove(Type type, String value) throws MailQueueException {
        switch (type) {
            case Name:
                return remove(mail -> mail.name.equals(value), "removed by name");
            case Sender:
                return remove(mail -> mail.sender.orElse("").equals(value), "removed by sender");
            case Recipient:
                return remove(mail -> mail.recipients.contains(value), "removed by recipient");
            default:
                throw new IllegalArgumentException("unknown removal type " + type);
        }
    }

    /** Removes the waiting and held mails that match (not those a consumer is processing); {@code why} goes in the log. */
    public long remove(Predicate<QueuedMail> which, String why) throws MailQueueException {
        lock.lock();
        try {
            List<QueuedMail> removed = Stream.concat(waiting.stream(), held.values().stream()).filter(which).collect(Collectors.toList());
            for (QueuedMail mail : removed) {
                store.done(mail);
                waiting.remove(mail);
                held.remove(mail.id);
                LOGGER.info("{}: {} from {} by an operator, to=<{}>", mail.name, why, name.asString(), String.join(">,<", mail.recipients));
            }
            return removed.size();
        } catch (IOException e) {
            throw new MailQueueException("cannot remove mails from " + name.asString(), e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the recipients that match from the waiting and held mails: a mail left without
     * recipients goes, the others keep their other recipients (a new envelope, the same body).
     */
    public long removeRecipients(Predicate<String> recipient, String why) throws MailQueueException {
        lock.lock();
        try {
            List<QueuedMail> touched = Stream.concat(waiting.stream(), held.values().stream())
                .filter(mail -> mail.recipients.stream().anyMatch(recipient)).collect(Collectors.toList());
            long removed = 0;
            for (QueuedMail mail : touched) {
                List<String> gone = mail.recipients.stream().filter(recipient).collect(Collectors.toList());
                List<String> kept = mail.recipients.stream().filter(recipient.negate()).collect(Collectors.toList());
                waiting.remove(mail);
                held.remove(mail.id);
                if (kept.isEmpty()) {
                    store.done(mail);
                } else {
                    QueuedMail narrowed = store.narrow(mail, kept);
                    if (narrowed.held) {
                        held.put(narrowed.id, narrowed);
                    } else {
                        waiting.add(narrowed);
                    }
                }
                removed += gone.size();
                LOGGER.info("{}: {} from {} by an operator, to=<{}>", mail.name, why, name.asString(), String.join(">,<", gone));
            }
            return removed;
        } catch (IOException | CorruptSpoolFileException e) {
            throw new MailQueueException("cannot remove recipients from " + name.asString(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Holds the waiting mails that match (Postfix's {@code postsuper -h}): never handed out until released. Durable. */
    public long hold(Predicate<QueuedMail> which) throws MailQueueException {
        lock.lock();
        try {
            List<QueuedMail> toHold = waiting.stream().filter(which).collect(Collectors.toList());
            for (QueuedMail mail : toHold) {
                QueuedMail onHold = store.hold(mail);
                waiting.remove(mail);
                held.put(onHold.id, onHold);
                LOGGER.info("{}: held in {} by an operator", mail.name, name.asString());
            }
            return toHold.size();
        } catch (IOException | CorruptSpoolFileException e) {
            throw new MailQueueException("cannot hold mails in " + name.asString(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Releases the held mails that match ({@code postsuper -H}): each waits for its own time again. Durable. */
    public long release(Predicate<QueuedMail> which) throws MailQueueException {
        lock.lock();
        try {
            List<QueuedMail> toRelease = held.values().stream().filter(which).collect(Collectors.toList());
            for (QueuedMail mail : toRelease) {
                QueuedMail released = store.release(mail);
                held.remove(mail.id);
                waiting.add(released);
                LOGGER.info("{}: released in {} by an operator", mail.name, name.asString());
            }
            changed.signalAll();
            return toRelease.size();
        } catch (IOException | CorruptSpoolFileException e) {
            throw new MailQueueException("cannot release mails in " + name.asString(), e);
        } finally {
            lock.unlock();
        }
    }

    /** What an operator lists: every mail in this queue, earliest next attempt first (held ones last), with its state. */
    public List<Listed> list(Predicate<QueuedMail> which) {
        return supplyWithLock(() -> {
            List<Listed> listed = new ArrayList<>();
            inFlight.values().stream().filter(which).forEach(mail -> listed.add(new Listed(mail, Listed.State.ACTIVE)));
            long now = System.currentTimeMillis();
            waiting.stream().filter(which).forEach(mail -> listed.add(new Listed(mail, mail.notBefore > now ? Listed.State.DEFERRED : Listed.State.DUE)));
            held.values().stream().filter(which).forEach(mail -> listed.add(new Listed(mail, Listed.State.HELD)));
            listed.sort(Comparator.comparing((Listed mail) -> mail.state == Listed.State.HELD).thenComparing(mail -> mail.mail, QueuedMail.BY_DUE_TIME));
            return listed;
        });
    }

    /** The envelope of a listed mail, read from disk: attempts, last error. Empty when it left meanwhile. */
    public Optional<SpoolEnvelope> envelope(QueuedMail mail) {
        try {
            return Optional.of(store.readEnvelope(mail));
        } catch (IOException | CorruptSpoolFileException e) {
            return Optional.empty();
        }
    }

    /** A listed mail read whole from disk (envelope and message), for an operator; empty when it left meanwhile. */
    public Optional<Mail> read(QueuedMail mail) {
        try {
            return Optional.of(store.read(mail));
        } catch (IOException | CorruptSpoolFileException e) {
            return Optional.empty();
        }
    }

    /** The waiting and held mails in arrival order, each read from disk when the iterator reaches it. */
    @Override
    public MailQueueIterator browse() {
        List<QueuedMail> snapshot = supplyWithLock(() -> Stream.concat(waiting.stream(), held.values().stream()).collect(Collectors.toList()));
        snapshot.sort(QueuedMail.BY_ARRIVAL);
        Iterator<QueuedMail> entries = snapshot.iterator();
        return new MailQueueIterator() {
            private MailQueueItemView next;

            @Override
            public boolean hasNext() {
                while (next == null && entries.hasNext()) {
                    next = load(entries.next()).orElse(null);
                }
                return next != null;
            }

            @Override
            public MailQueueItemView next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                MailQueueItemView current = next;
                next = null;
                return current;
            }

            @Override
            public void close() {
                // nothing held open: each mail is read whole when reached
            }
        };
    }

    private Optional<MailQueueItemView> load(QueuedMail entry) {
        try {
            Mail mail = store.read(entry);
            long due = entry.held ? Long.MAX_VALUE : entry.notBefore;
            return Optional.of(new DefaultMailQueueItemView(mail, Instant.ofEpochMilli(due).atZone(ZoneOffset.UTC)));
        } catch (IOException | CorruptSpoolFileException e) {
            // dequeued, removed or broken since the snapshot: browsing shows what is there
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        // queues live as long as their factory: James closes them from several components
    }

    void stop() {
        running = false;
        // a signal, not an interrupt: an interrupt would abort the file I/O of a hand-over in progress
        withLock(changed::signalAll);
        List<Consumer> remaining = supplyWithLock(() -> new ArrayList<>(consumers));
        remaining.forEach(consumer -> consumer.sink.complete());
        try {
            dispatcher.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void withLock(Runnable action) {
        lock.lock();
        try {
            action.run();
        } finally {
            lock.unlock();
        }
    }

    private <T> T supplyWithLock(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    /** One mail as an operator sees it. */
    public static final class Listed {
        /** Postfix's queues: active (being delivered), due (incoming), deferred, hold. */
        public enum State { ACTIVE, DUE, DEFERRED, HELD }

        public final QueuedMail mail;
        public final State state;

        Listed(QueuedMail mail, State state) {
            this.mail = mail;
            this.state = state;
        }
    }

    /** One subscriber of {@link #deQueue}, and how many more items it asked for. */
    private static final class Consumer {
        final FluxSink<SpoolQueueItem> sink;
        long demand;

        Consumer(FluxSink<SpoolQueueItem> sink) {
            this.sink = sink;
        }
    }
}
