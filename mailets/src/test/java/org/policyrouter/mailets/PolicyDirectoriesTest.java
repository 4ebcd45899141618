package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyDirectoriesTest {
    private static final Duration POLL = Duration.ofMillis(50);

    @TempDir
    Path policy;

    @Test
    void mailetsOfOneServerShareOneViewAndTheLastOneOutStopsItsPoller() throws Exception {
        PolicyDirectories directories = new PolicyDirectories();
        PolicyDirectories.Lease route = directories.acquire(policy, Optional.empty(), POLL, 1 << 20);
        PolicyDirectories.Lease rewrite = directories.acquire(policy, Optional.empty(), POLL, 1 << 20);

        assertThat(rewrite.tables()).isSameAs(route.tables());
        assertThat(pollerAlive()).isTrue();

        route.close();
        assertThat(directories.openDirectories()).isEqualTo(1);
        assertThat(pollerAlive()).isTrue();

        rewrite.close();
        assertThat(directories.openDirectories()).isZero();
        awaitPollerGone();
    }

    @Test
    void aSecondServerInTheSameJvmGetsItsOwnView() throws Exception {
        PolicyDirectories first = new PolicyDirectories();
        PolicyDirectories second = new PolicyDirectories();
        try (PolicyDirectories.Lease one = first.acquire(policy, Optional.empty(), Duration.ZERO, 1 << 20);
             PolicyDirectories.Lease other = second.acquire(policy, Optional.empty(), Duration.ZERO, 1 << 20)) {
            assertThat(other.tables()).isNotSameAs(one.tables());
        }
        assertThat(first.openDirectories()).isZero();
        assertThat(second.openDirectories()).isZero();
    }

    private boolean pollerAlive() {
        String name = "policyrouter-policy-reload-" + policy.getFileName();
        return Thread.getAllStackTraces().keySet().stream().anyMatch(thread -> thread.getName().equals(name) && thread.isAlive());
    }

    private void awaitPollerGone() throws InterruptedException {
        for (int i = 0; i < 100 && pollerAlive(); i++) {
            Thread.sleep(20);
        }
        assertThat(pollerAlive()).as("poller thread after the last lease closed").isFalse();
    }
}
