package org.policyrouter.spool;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.annotation.PreDestroy;
import javax.inject.Inject;

import org.apache.james.lifecycle.api.Startable;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;

import com.google.common.collect.ImmutableSet;

/**
 * James's MailQueueFactory over the file spool. The bundled server binds it in place of the memory
 * app's queue. Every queue (James's main queue {@code spool}, RemoteDelivery's {@code outgoing} …)
 * lives in the one spool, which is locked and read back when the factory is made: a second process
 * on the same spool fails here, before anything else starts.
 */
public class SpoolMailQueueFactory implements MailQueueFactory<SpoolMailQueue>, Startable {
    /**
     * A gauge: the mails of every queue waiting for a later attempt (Postfix's deferred queue).
     * Registered by the Guice module: James's MailQueueMetricContract allows a queue one gauge.
     */
    public static final String DEFERRED_QUEUE_GAUGE = "policyrouter.spool.deferred-queue";

    private final Fsyncs fsyncs;
    private final SpoolStore store;
    private final MailQueueItemDecoratorFactory decorators;
    private final MetricFactory metrics;
    private final GaugeRegistry gauges;
    private final ConcurrentHashMap<MailQueueName, SpoolMailQueue> queues = new ConcurrentHashMap<>();

    @Inject
    public SpoolMailQueueFactory(SpoolConfiguration configuration, MailQueueItemDecoratorFactory decorators, MetricFactory metrics,
                                 GaugeRegistry gauges) throws IOException {
        this.fsyncs = Fsyncs.timed(configuration.fsync(), metrics);
        this.store = SpoolStore.open(configuration, fsyncs);
        this.decorators = decorators;
        this.metrics = metrics;
        this.gauges = gauges;
    }

    @Override
    public Optional<SpoolMailQueue> getQueue(MailQueueName name, PrefetchCount count) {
        return Optional.ofNullable(queues.get(name));
    }

    @Override
    public SpoolMailQueue createQueue(MailQueueName name, PrefetchCount count) {
        return queues.computeIfAbsent(name, queueName -> SpoolMailQueue.open(queueName, store, decorators, metrics, gauges));
    }

    /** Mails waiting for a later attempt, in every queue. */
    public long deferredSize() {
        return queues.values().stream().mapToLong(SpoolMailQueue::deferredSize).sum();
    }

    /** The first failed fsync: nothing has been acknowledged since, and nothing will be until a restart. */
    Optional<String> fsyncFailure() {
        return fsyncs.failure();
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        return ImmutableSet.copyOf(queues.keySet());
    }

    /** Stops the dispatchers and releases the spool; mails stay where they are and are picked up at the next start. */
    @PreDestroy
    public void stop() {
        queues.values().forEach(SpoolMailQueue::stop);
        queues.clear();
        store.close();
    }
}
