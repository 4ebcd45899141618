package org.policyrouter.hooks.state;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Degraded while a shared state store the SMTP checks use (PostgreSQL, Redis) does not answer: the
 * checks then apply their {@code store_failure} policy, which an operator wants to know about even
 * when no mail is coming in. Each store is asked one read, at most {@link #PROBE_TIMEOUT}. Healthy
 * with no shared store. Listed in {@code healthcheck.properties} ({@code additional.healthchecks}).
 */
public class StateStoresHealthCheck implements HealthCheck {
    static final ComponentName COMPONENT = new ComponentName("SMTP state stores");
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    @Inject
    public StateStoresHealthCheck() {
    }

    @Override
    public ComponentName componentName() {
        return COMPONENT;
    }

    @Override
    public Publisher<Result> check() {
        return Mono.fromCallable(() -> {
            List<String> silent = new ArrayList<>();
            for (SharedStore shared : StateStores.shared()) {
                probe(shared.store()).ifPresent(silent::add);
            }
            return silent.isEmpty() ? Result.healthy(COMPONENT)
                : Result.degraded(COMPONENT, String.join(" | ", silent) + "; the checks apply their store_failure policy meanwhile");
        }).subscribeOn(Schedulers.boundedElastic());
    }

    private static java.util.Optional<String> probe(StateStore store) {
        CompletableFuture<?> read = store.findTriplet("policyrouter-healthcheck");
        try {
            read.get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return java.util.Optional.empty();
        } catch (java.util.concurrent.TimeoutException e) {
            read.cancel(false);
            return java.util.Optional.of(store.describe() + " does not answer");
        } catch (java.util.concurrent.ExecutionException e) {
            // the engines bound their own calls: a timeout of theirs is the same silence
            Throwable cause = e.getCause();
            return java.util.Optional.of(store.describe() + (cause instanceof java.util.concurrent.TimeoutException ? " does not answer"
                : " fails: " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.of(store.describe() + ": interrupted");
        }
    }
}
