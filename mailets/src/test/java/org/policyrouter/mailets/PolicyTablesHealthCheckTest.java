package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.apache.james.core.healthcheck.Result;
import org.apache.james.core.healthcheck.ResultStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import reactor.core.publisher.Mono;

class PolicyTablesHealthCheckTest {
    @TempDir
    Path policy;

    Result check(PolicyTablesHealthCheck check) {
        return Mono.from(check.check()).block();
    }

    @Test
    void aBrokenEditDegradesNamingFileAndLineUntilItIsFixed() throws Exception {
        Files.writeString(policy.resolve("transport"), "a.example 10.0.0.1\n");
        PolicyDirectories directories = new PolicyDirectories();
        PolicyTablesHealthCheck check = new PolicyTablesHealthCheck(directories);
        try (PolicyDirectories.Lease lease = directories.acquire(policy, Optional.empty(), Duration.ZERO, 1 << 20)) {
            assertThat(check(check).getStatus()).isEqualTo(ResultStatus.HEALTHY);

            Files.writeString(policy.resolve("transport"), "a.example 10.0.0.1\nb.example host:99999\n");
            lease.tables().refreshIfChanged();
            Result broken = check(check);
            assertThat(broken.getStatus()).isEqualTo(ResultStatus.DEGRADED);
            assertThat(broken.getCause()).hasValue("last reload failed, still routing with the last good tables: " + policy
                + ": transport:2: port 99999 out of range 1-65535 in relay host 'host:99999'");

            Files.writeString(policy.resolve("transport"), "a.example 10.0.0.2\n");
            lease.tables().refreshIfChanged();
            assertThat(check(check).getStatus()).isEqualTo(ResultStatus.HEALTHY);
        }
    }
}
