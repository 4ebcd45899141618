package org.apache.james.queue.rabbitmq;

import java.time.Duration;

import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Stands in for distributed James's queue of the same name (not on our class path), which
 * ignores enqueue delays: Defer recognises it by its class name and refuses it.
 */
public class RabbitMQMailQueue implements MailQueue {
    private final MailQueueName name;

    public RabbitMQMailQueue(MailQueueName name) {
        this.name = name;
    }

    @Override
    public MailQueueName getName() {
        return name;
    }

    @Override
    public void enQueue(Mail mail, Duration delay) {
        throw new UnsupportedOperationException("a refused queue is never used");
    }

    @Override
    public void enQueue(Mail mail) {
        throw new UnsupportedOperationException("a refused queue is never used");
    }

    @Override
    public Publisher<Void> enqueueReactive(Mail mail) {
        return Mono.error(new UnsupportedOperationException("a refused queue is never used"));
    }

    @Override
    public Publisher<MailQueueItem> deQueue() {
        return Flux.never();
    }

    @Override
    public void close() {
    }
}
