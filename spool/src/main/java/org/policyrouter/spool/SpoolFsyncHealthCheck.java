package org.policyrouter.spool;

import java.util.Optional;
import java.util.function.Supplier;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;

/**
 * Unhealthy once an fsync of the spool failed: from then on the spool acknowledges nothing (every
 * SMTP client gets a 4xx and retries) until a restart reads back what is really on disk.
 */
public class SpoolFsyncHealthCheck implements HealthCheck {
    static final ComponentName COMPONENT = new ComponentName("Spool fsync");

    private final Supplier<Optional<String>> failure;

    @Inject
    public SpoolFsyncHealthCheck(SpoolMailQueueFactory spool) {
        this(spool::fsyncFailure);
    }

    SpoolFsyncHealthCheck(Supplier<Optional<String>> failure) {
        this.failure = failure;
    }

    @Override
    public ComponentName componentName() {
        return COMPONENT;
    }

    @Override
    public Publisher<Result> check() {
        return Mono.fromCallable(() -> failure.get()
            .map(failure -> Result.unhealthy(COMPONENT, failure + "; nothing is acknowledged until James is restarted"))
            .orElse(Result.healthy(COMPONENT)));
    }
}
