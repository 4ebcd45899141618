package org.policyrouter.spool;

import java.io.FileNotFoundException;

import javax.inject.Singleton;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.utils.InitializationOperation;
import org.apache.james.utils.InitilizationOperationBuilder;
import org.apache.james.utils.PropertiesProvider;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;

/**
 * Replaces James's queue with the file spool. James's memory app binds its in-memory queue under
 * three keys; this module binds the spool under the same three, so it must be applied with
 * {@code GuiceJamesServer.overrideWith} (an extension module cannot override core bindings). It
 * also adds the spool's health checks and its deferred-queue gauge.
 *
 * <p>Optional {@code conf/spool.properties}:
 * <pre>
 * spool.directory=var/spool   # relative to James's working directory
 * spool.fsync=true            # false gives up crash safety: tests and benchmarks only
 * </pre>
 */
public class SpoolQueueModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(SpoolMailQueueFactory.class).in(Scopes.SINGLETON);
        // shown by WebAdmin's GET /healthcheck, as James binds its own checks
        Multibinder<HealthCheck> healthChecks = Multibinder.newSetBinder(binder(), HealthCheck.class);
        healthChecks.addBinding().to(SpoolFsyncHealthCheck.class);
        healthChecks.addBinding().to(SpoolCorruptHealthCheck.class);
    }

    /** At start (the factory is a Startable for this only): one gauge for the whole spool, not one per queue. */
    @ProvidesIntoSet
    InitializationOperation deferredQueueGauge(SpoolMailQueueFactory factory, GaugeRegistry gauges) {
        return InitilizationOperationBuilder.forClass(SpoolMailQueueFactory.class)
            .init(() -> gauges.register(SpoolMailQueueFactory.DEFERRED_QUEUE_GAUGE, factory::deferredSize));
    }

    @Provides
    @Singleton
    SpoolConfiguration spoolConfiguration(PropertiesProvider properties, FileSystem fileSystem) throws ConfigurationException, FileNotFoundException {
        Configuration configuration;
        try {
            configuration = properties.getConfiguration("spool");
        } catch (FileNotFoundException e) {
            configuration = new PropertiesConfiguration();
        }
        String directory = configuration.getString("spool.directory", "var/spool");
        // file:// + a relative path is James's working directory; file:// + /abs is absolute
        return new SpoolConfiguration(fileSystem.getFile("file://" + directory).toPath(), configuration.getBoolean("spool.fsync", true));
    }

    @Provides
    @Singleton
    MailQueueFactory<?> mailQueueFactory(SpoolMailQueueFactory factory) {
        return factory;
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends MailQueue> mailQueueFactoryOfQueues(SpoolMailQueueFactory factory) {
        return factory;
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends ManageableMailQueue> manageableMailQueueFactory(SpoolMailQueueFactory factory) {
        return factory;
    }
}
