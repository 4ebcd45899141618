package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.apache.james.core.healthcheck.ResultStatus;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import reactor.core.publisher.Mono;

/** What WebAdmin's GET /healthcheck says about the spool, and the fsync timer behind it. */
class SpoolHealthChecksTest {
    @TempDir
    Path root;

    static Result check(HealthCheck check) {
        return Mono.from(check.check()).block();
    }

    @Test
    void eachFsyncIsTimed() throws Exception {
        RecordingMetricFactory metrics = new RecordingMetricFactory();
        Fsyncs fsyncs = Fsyncs.timed(true, metrics);

        fsyncs.groupCommit(() -> { }).awaitDurable();

        assertThat(metrics.executionTimesFor(Fsyncs.TIMER)).hasSize(1);
    }

    @Test
    void theSpoolIsUnhealthyOnceAnFsyncFailedAndSaysWhy() throws Exception {
        Fsyncs fsyncs = Fsyncs.timed(true, new RecordingMetricFactory());
        SpoolFsyncHealthCheck check = new SpoolFsyncHealthCheck(fsyncs::failure);
        assertThat(check(check).getStatus()).isEqualTo(ResultStatus.HEALTHY);

        GroupCommit commit = fsyncs.groupCommit(() -> {
            throw new IOException("Input/output error");
        });
        assertThatThrownBy(commit::awaitDurable).isInstanceOf(IOException.class);

        Result result = check(check);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.UNHEALTHY);
        assertThat(result.getCause()).hasValueSatisfying(cause -> assertThat(cause)
            .startsWith("fsync failed at ").contains("Input/output error").endsWith("nothing is acknowledged until James is restarted"));
    }

    @Test
    void filesInCorruptMakeTheSpoolDegradedNamingTheirCount() throws Exception {
        SpoolConfiguration configuration = new SpoolConfiguration(root, true);
        SpoolCorruptHealthCheck check = new SpoolCorruptHealthCheck(configuration);
        assertThat(check(check).getStatus()).as("no corrupt/ yet").isEqualTo(ResultStatus.HEALTHY);
        Files.createDirectories(configuration.corrupt());
        assertThat(check(check).getStatus()).isEqualTo(ResultStatus.HEALTHY);

        Files.writeString(configuration.corrupt().resolve("deferred-x-1"), "garbage");
        Files.writeString(configuration.corrupt().resolve("deferred-y-2"), "garbage");

        Result result = check(check);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.DEGRADED);
        assertThat(result.getCause()).hasValue("2 files in " + configuration.corrupt() + " could not be read back, for an operator to look at and remove");
    }
}
