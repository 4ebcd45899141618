package org.policyrouter.spool;

import java.nio.file.Path;

import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.DelayedManageableMailQueueContract;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueMetricContract;
import org.apache.james.queue.api.MailQueueMetricExtension;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.ManageableMailQueueFactoryContract;
import org.apache.james.queue.api.MailQueueFactoryContract;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** James's MailQueue contracts (plain, manageable, delayed, metrics, factory) against the file spool. */
@ExtendWith(MailQueueMetricExtension.class)
class SpoolMailQueueContractTest implements DelayedManageableMailQueueContract, MailQueueMetricContract,
    MailQueueFactoryContract<SpoolMailQueue>, ManageableMailQueueFactoryContract<SpoolMailQueue> {

    @TempDir
    Path spool;
    SpoolMailQueueFactory factory;
    SpoolMailQueueFactory otherFactory;
    SpoolMailQueue queue;

    @BeforeEach
    void open(MailQueueMetricExtension.MailQueueMetricTestSystem metrics) throws Exception {
        factory = new SpoolMailQueueFactory(new SpoolConfiguration(spool, true), new RawMailQueueItemDecoratorFactory(),
            metrics.getMetricFactory(), metrics.getSpyGaugeRegistry());
        queue = factory.createQueue(MailQueueName.of("contract"));
    }

    @AfterEach
    void close() {
        factory.stop();
        if (otherFactory != null) {
            otherFactory.stop();
        }
    }

    @Override
    public MailQueue getMailQueue() {
        return queue;
    }

    @Override
    public ManageableMailQueue getManageableMailQueue() {
        return queue;
    }

    @Override
    public MailQueueFactory<SpoolMailQueue> getMailQueueFactory() {
        if (otherFactory == null) {
            try {
                // a spool is open once per process (its lock): one factory per test
                otherFactory = new SpoolMailQueueFactory(new SpoolConfiguration(spool.resolve("factory"), true), new RawMailQueueItemDecoratorFactory(),
                    new RecordingMetricFactory(), new NoopGaugeRegistry());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return otherFactory;
    }
}
