package org.policyrouter.hooks.core;

import java.util.List;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Degraded while an edit of a qpsmtpd control file, the plugins file or the smtpplugins list
 * cannot be used: the SMTP checks keep the last good version (or, for a file broken since start,
 * none of it), and the check names file and line so the operator can fix it. Healthy again once
 * the file loads. Listed in {@code healthcheck.properties} ({@code additional.healthchecks}).
 */
public class ControlFilesHealthCheck implements HealthCheck {
    static final ComponentName COMPONENT = new ComponentName("SMTP control files");

    private final WatchedFiles files;

    @Inject
    public ControlFilesHealthCheck(WatchedFiles files) {
        this.files = files;
    }

    @Override
    public ComponentName componentName() {
        return COMPONENT;
    }

    @Override
    public Publisher<Result> check() {
        // loadErrors() reads changed files: file I/O, kept off James's reactive threads
        return Mono.fromCallable(() -> {
            List<String> errors = files.loadErrors();
            return errors.isEmpty() ? Result.healthy(COMPONENT)
                : Result.degraded(COMPONENT, "an edit could not be loaded, the SMTP checks use the last good version: " + String.join(" | ", errors));
        }).subscribeOn(Schedulers.boundedElastic());
    }
}
