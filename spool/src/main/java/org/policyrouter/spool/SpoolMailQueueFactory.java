package org.policyrouter.spool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.annotation.PreDestroy;
import javax.inject.Inject;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;

import com.google.common.collect.ImmutableSet;

/**
 * James's MailQueueFactory over the file spool. The bundled server binds it in place of the memory
 * app's queue; James's main queue {@code spool} is the spool's incoming/active.
 */
public class SpoolMailQueueFactory implements MailQueueFactory<SpoolMailQueue> {
    private final SpoolConfiguration configuration;
    private final MailQueueItemDecoratorFactory decorators;
    private final MetricFactory metrics;
    private final GaugeRegistry gauges;
    private final ConcurrentHashMap<MailQueueName, SpoolMailQueue> queues = new ConcurrentHashMap<>();

    @Inject
    public SpoolMailQueueFactory(SpoolConfiguration configuration, MailQueueItemDecoratorFactory decorators, MetricFactory metrics, GaugeRegistry gauges) {
        this.configuration = configuration;
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
        return queues.computeIfAbsent(name, queueName -> {
            try {
                return SpoolMailQueue.open(queueName, configuration, decorators, metrics, gauges);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the spool queue " + queueName.asString() + " under " + configuration.root(), e);
            }
        });
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        return ImmutableSet.copyOf(queues.keySet());
    }

    /** Stops the dispatchers; files stay where they are and are picked up at the next start. */
    @PreDestroy
    public void stop() {
        queues.values().forEach(SpoolMailQueue::stop);
        queues.clear();
    }
}
