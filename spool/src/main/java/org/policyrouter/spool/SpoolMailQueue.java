package org.policyrouter.spool;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

import javax.mail.MessagingException;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.policyrouter.core.HeldReplies;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * A durable James MailQueue over the spool's incoming queue ({@link SpoolQueueStore}: the incoming
 * journal, and files in {@code incoming/} and {@code active/}). A mail is on disk once
 * {@link #enQueue} returns, or, when called under the SMTP server's {@link HeldReplies}, once
 * the wait it deferred returns (the SMTP 250 is sent only then); it is handed to one consumer at
 * a time only after that, and leaves only when the consumer calls {@code done}. At start, whatever a crash caught
 * being processed is waiting again: a mail may be processed twice, never lost.
 *
 * <p>Only envelopes and due times are kept in memory. One dispatcher thread hands due mails to the
 * consumers that asked for them, so a mail stays in incoming/ until someone can take it.
 */
public final class SpoolMailQueue implements ManageableMailQueue {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    private static final long IDLE_WAIT_MILLIS = 60_000;

    private final MailQueueName name;
    private final SpoolQueueStore store;
    private final MailQueueItemDecoratorFactory decorators;
    private final MetricFactory metrics;
    private final String enqueueTimerName;
    private final Metric enqueuedMetric;
    private final Metric dequeuedMetric;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final TreeSet<QueuedMail> waiting = new TreeSet<>(QueuedMail.BY_DUE_TIME);
    private final Map<String, QueuedMail> inFlight = new HashMap<>();
    private final List<Consumer> consumers = new ArrayList<>();
    private final AtomicLong sequence = new AtomicLong();
    private final Thread dispatcher;
    private volatile boolean running = true;
    private int roundRobin;

    private SpoolMailQueue(MailQueueName name, SpoolQueueStore store, MailQueueItemDecoratorFactory decorators, MetricFactory metrics) {
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

    /** Opens the queue's store; what is on disk (including what a crash caught in processing) is waiting again. */
    static SpoolMailQueue open(MailQueueName name, SpoolConfiguration configuration,
                               MailQueueItemDecoratorFactory decorators, MetricFactory metrics, GaugeRegistry gauges) throws IOException {
        List<QueuedMail> waiting = new ArrayList<>();
        AtomicLong sequence = new AtomicLong();
        SpoolQueueStore store = SpoolQueueStore.open(name, configuration, waiting, sequence::incrementAndGet);
        SpoolMailQueue queue = new SpoolMailQueue(name, store, decorators, metrics);
        queue.sequence.set(sequence.get());
        queue.waiting.addAll(waiting);
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
        String id = SpoolNames.newQueueId();
        long now = System.currentTimeMillis();
        long notBefore = dueTime(now, delay);
        Map<AttributeName, AttributeValue<?>> defaults = Map.of(
            SpoolAttributes.QUEUE_ID, AttributeValue.of(id),
            SpoolAttributes.ARRIVAL, AttributeValue.of(now));
        TimeMetric timer = metrics.timer(enqueueTimerName);
        try {
            List<Attribute> written = new ArrayList<>();
            byte[] envelope = SpoolEnvelope.encode(mail, now, notBefore, defaults, written::add);
            SpoolQueueStore.Stored stored = store.store(id, mail, envelope, now, notBefore, sequence.incrementAndGet());
            // copied now: James disposes of the mail when its hooks return, maybe before the fsync
            Mail copy = stored.message != null && notBefore <= now ? copyForHandOver(mail, written, stored) : null;
            String queued = AttributeUtils.getValueAndCastFromMail(mail, SpoolAttributes.QUEUE_ID, String.class).orElse(id) + ": queued in "
                + name.asString() + " as " + id + ", from=<" + mail.getMaybeSender().asString("") + ">, nrcpt=" + mail.getRecipients().size()
                + (notBefore > now ? ", delayed until " + Instant.ofEpochMilli(notBefore) : "");
            HeldReplies.Wait durable = () -> {
                store.awaitDurable(stored);
                // durable from here on: a failure to hand it over leaves it to the dispatcher
                release(stored.entry, copy);
                enqueuedMetric.increment();
                LOGGER.info(queued);
            };
            // on an SMTP I/O thread the 250 waits for the fsync without blocking the thread
            if (!HeldReplies.hold(id, durable)) {
                durable.await();
            }
        } catch (IOException | MessagingException e) {
            throw new MailQueueException("cannot spool " + mail.getName() + " in " + name.asString() + ": " + e.getMessage(), e);
        } finally {
            timer.stopAndPublish();
        }
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

    private Mail copyForHandOver(Mail mail, List<Attribute> written, SpoolQueueStore.Stored stored) {
        try {
            return MailCopy.of(mail, written, stored.message, store.sourceId(stored.entry));
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("{}: cannot copy for a direct hand-over, the dispatcher will read it back", stored.entry.id, e);
            return null;
        }
    }

    /**
     * Queues a new entry. With {@code direct} (due, and its message in memory) it is taken at once
     * by a consumer with demand when nothing waits ahead of it (returns that consumer); otherwise the
     * dispatcher hands it over (returns null).
     */
    private Consumer queueOrTake(QueuedMail entry, boolean direct) {
        lock.lock();
        try {
            Consumer consumer = direct && waiting.isEmpty() ? consumerWithDemand() : null;
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
            // an item emitted to a consumer that cancelled would otherwise stay in active/ until restart
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
            emit(entry, store.take(entry), consumer);
        } catch (NoSuchFileException e) {
            // removed by an operator between the index and the disk
            forget(entry, consumer);
        } catch (CorruptSpoolFileException e) {
            store.quarantineTaken(entry, e.getMessage());
            forget(entry, consumer);
        } catch (IOException e) {
            LOGGER.error("spool queue {}: cannot hand over {}, retrying in 10s", name.asString(), entry.id, e);
            withLock(() -> {
                inFlight.remove(entry.id);
                consumer.demand++;
                waiting.add(entry.dueAt(System.currentTimeMillis() + 10_000, sequence.incrementAndGet()));
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

    /** The consumer is finished with a mail: gone for good, or back to incoming/ for a retry. */
    void complete(QueuedMail entry, MailQueueItem.CompletionStatus status) throws MailQueueException {
        boolean ours = supplyWithLock(() -> inFlight.containsKey(entry.id));
        if (!ours) {
            return;
        }
        try {
            if (status == MailQueueItem.CompletionStatus.RETRY) {
                store.putBack(entry);
                withLock(() -> {
                    inFlight.remove(entry.id);
                    waiting.add(entry.dueAt(System.currentTimeMillis(), sequence.incrementAndGet()));
                    changed.signalAll();
                });
            } else {
                store.finish(entry);
                withLock(() -> inFlight.remove(entry.id));
            }
        } catch (IOException e) {
            throw new MailQueueException("cannot complete " + entry.id + " in " + name.asString(), e);
        }
    }

    @Override
    public long getSize() {
        return supplyWithLock(() -> (long) waiting.size() + inFlight.size());
    }

    /** Makes every delayed mail due now, in its original arrival order; the new due time is written to its file. */
    @Override
    public long flush() throws MailQueueException {
        lock.lock();
        try {
            long now = System.currentTimeMillis();
            List<QueuedMail> delayed = new ArrayList<>();
            waiting.stream().filter(mail -> mail.notBefore > now).forEach(delayed::add);
            for (QueuedMail mail : delayed) {
                long due = Math.min(mail.enqueued, now);
                store.rewriteDueTime(mail, due);
                waiting.remove(mail);
                waiting.add(mail.dueAt(due, mail.sequence));
            }
            changed.signalAll();
            return delayed.size();
        } catch (IOException | CorruptSpoolFileException e) {
            throw new MailQueueException("cannot flush " + name.asString(), e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long clear() throws MailQueueException {
        return removeWhere(mail -> true);
    }

    @Override
    public long remove(Type type, String value) throws MailQueueException {
        switch (type) {
            case Name:
                return removeWhere(mail -> mail.name.equals(value));
            case Sender:
                return removeWhere(mail -> mail.sender.orElse("").equals(value));
            case Recipient:
                return removeWhere(mail -> mail.recipients.contains(value));
            default:
                throw new IllegalArgumentException("unknown removal type " + type);
        }
    }

    /** Removes waiting mails (not those a consumer is processing), file and index entry. */
    private long removeWhere(Predicate<QueuedMail> condition) throws MailQueueException {
        lock.lock();
        try {
            List<QueuedMail> removed = new ArrayList<>();
            waiting.stream().filter(condition).forEach(removed::add);
            for (QueuedMail mail : removed) {
                store.discard(mail);
                waiting.remove(mail);
                LOGGER.info("{}: removed from {} by an operator", mail.id, name.asString());
            }
            return removed.size();
        } catch (IOException e) {
            throw new MailQueueException("cannot remove mails from " + name.asString(), e);
        } finally {
            lock.unlock();
        }
    }

    /** The waiting mails in arrival order, each read from disk when the iterator reaches it. */
    @Override
    public MailQueueIterator browse() {
        List<QueuedMail> snapshot = supplyWithLock(() -> new ArrayList<>(waiting));
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
                // nothing held open: each file is read whole when reached
            }
        };
    }

    private Optional<MailQueueItemView> load(QueuedMail entry) {
        try {
            Mail mail = store.peek(entry);
            return Optional.of(new DefaultMailQueueItemView(mail, Instant.ofEpochMilli(entry.notBefore).atZone(ZoneOffset.UTC)));
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
        store.close();
    }

    private void withLock(Runnable action) {
        lock.lock();
        try {
            action.run();
        } finally {
            lock.unlock();
        }
    }

    private <T> T supplyWithLock(java.util.function.Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
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
