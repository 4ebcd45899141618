package org.policyrouter.mailets;

import java.util.List;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;

/**
 * Degraded while an edit of the policy tables is broken: mail is still routed by the last good
 * version (the edit is not lost, just not in use), and the check names the file and line so the
 * operator can fix it. Healthy again at the next successful reload. Listed in
 * {@code healthcheck.properties} ({@code additional.healthchecks}), so a stock James gets it too.
 */
public class PolicyTablesHealthCheck implements HealthCheck {
    static final ComponentName COMPONENT = new ComponentName("Policy tables");

    private final PolicyDirectories directories;

    @Inject
    public PolicyTablesHealthCheck(PolicyDirectories directories) {
        this.directories = directories;
    }

    @Override
    public ComponentName componentName() {
        return COMPONENT;
    }

    @Override
    public Publisher<Result> check() {
        return Mono.fromCallable(() -> {
            List<String> failures = directories.reloadFailures();
            return failures.isEmpty() ? Result.healthy(COMPONENT)
                : Result.degraded(COMPONENT, "last reload failed, still routing with the last good tables: " + String.join(" | ", failures));
        });
    }
}
