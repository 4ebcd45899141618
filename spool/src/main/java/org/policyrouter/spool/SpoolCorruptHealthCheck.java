package org.policyrouter.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;

/**
 * Degraded while the spool's {@code corrupt/} folder holds anything: what could not be read back
 * was moved there (the rest of the spool keeps flowing) and waits for an operator, who looks at it
 * and removes it (docs/spool.md).
 */
public class SpoolCorruptHealthCheck implements HealthCheck {
    static final ComponentName COMPONENT = new ComponentName("Spool corrupt files");

    private final Path corrupt;

    @Inject
    public SpoolCorruptHealthCheck(SpoolConfiguration configuration) {
        this.corrupt = configuration.corrupt();
    }

    @Override
    public ComponentName componentName() {
        return COMPONENT;
    }

    @Override
    public Publisher<Result> check() {
        return Mono.fromCallable(this::result);
    }

    private Result result() {
        long count;
        try (Stream<Path> files = Files.list(corrupt)) {
            count = files.count();
        } catch (NoSuchFileException e) {
            return Result.healthy(COMPONENT);
        } catch (IOException e) {
            return Result.degraded(COMPONENT, "cannot list " + corrupt + ": " + e);
        }
        return count == 0 ? Result.healthy(COMPONENT)
            : Result.degraded(COMPONENT, count + (count == 1 ? " file" : " files") + " in " + corrupt
                + " could not be read back, for an operator to look at and remove");
    }
}
