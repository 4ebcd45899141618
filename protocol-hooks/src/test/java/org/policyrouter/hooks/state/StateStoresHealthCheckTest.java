package org.policyrouter.hooks.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.apache.james.core.healthcheck.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.ControlFiles;
import org.policyrouter.hooks.core.Options;

import reactor.core.publisher.Mono;

/** The health check asks a real PostgreSQL, frozen with SIGSTOP and thawed. */
class StateStoresHealthCheckTest {
    private static PrivatePostgres postgres;

    @BeforeAll
    static void start() throws Exception {
        postgres = PrivatePostgres.start();
    }

    @AfterAll
    static void stop() throws Exception {
        postgres.close();
    }

    private static Result check() {
        return Mono.from(new StateStoresHealthCheck().check()).block(Duration.ofSeconds(10));
    }

    @Test
    void degradedWhileTheStoreDoesNotAnswerAndHealthyAgainAfter() throws Exception {
        Options options = Options.fromPluginArguments(List.of("store", "postgresql", "jdbc_url", postgres.jdbcUrl(),
            "jdbc_user", postgres.user(), "jdbc_password", postgres.password(), "store_prefix", "health"), "plugins:1");
        CheckEnvironment environment = new CheckEnvironment(options, new ControlFiles(Path.of("."), Optional.empty(), Duration.ZERO),
            () -> null, domain -> false, Path::of);
        try (StoreAccess access = StateStores.open(environment, options, "file://var/state", false)) {
            assertThat(check().isHealthy()).isTrue();

            postgres.freeze();
            Result frozen;
            try {
                frozen = check();
            } finally {
                postgres.thaw();
            }

            assertThat(frozen.isDegraded()).isTrue();
            assertThat(frozen.getCause()).hasValueSatisfying(cause -> assertThat(cause)
                .startsWith("postgresql jdbc:postgresql://127.0.0.1:" + postgres.port())
                .contains("does not answer; the checks apply their store_failure policy meanwhile")
                .doesNotContain(postgres.password()));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> check().isHealthy());
        }
        assertThat(check().isHealthy()).as("no shared store any more").isTrue();
    }
}
