package org.policyrouter.hooks.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.ControlFiles;
import org.policyrouter.hooks.core.FakeConnection;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;
import org.policyrouter.hooks.state.PrivatePostgres;

/** The concurrency limit on a real PostgreSQL: a busy client's connections reuse a few slot rows, and the count stays right. */
class ClusterLimitsOnPostgresTest {
    private static PrivatePostgres postgres;

    @TempDir
    Path state;

    @BeforeAll
    static void start() throws Exception {
        postgres = PrivatePostgres.start();
    }

    @AfterAll
    static void stop() {
        postgres.close();
    }

    @Test
    void aBusyClientsConnectionsReuseAFewSlotRows() throws Exception {
        ClusterLimits check = new ClusterLimits();
        check.configure(new CheckEnvironment(Options.fromPluginArguments(List.of("concurrency", "3", "store_prefix", "reuse",
            "store", "postgresql", "jdbc_url", postgres.jdbcUrl(), "jdbc_user", postgres.user(), "jdbc_password", postgres.password(),
            "store_timeout", "5s"), "plugins:1"), new ControlFiles(state, Optional.empty(), Duration.ZERO), () -> null, domain -> false, Path::of));
        try {
            for (int i = 0; i < 200; i++) {
                FakeConnection connection = FakeConnection.from("192.0.2.7");
                assertThat(check.checkConnect(connection)).isEqualTo(Verdict.DECLINED);
                check.checkDisconnect(connection);
            }
            // a row per connection would be 200 rows; ids come back once their close is done
            assertThat(count("SELECT count(*) FROM reuse_slots")).isBetween(1L, 10L);

            List<FakeConnection> open = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                FakeConnection connection = FakeConnection.from("192.0.2.7");
                assertThat(check.checkConnect(connection)).as("connection %d", i + 1).isEqualTo(Verdict.DECLINED);
                open.add(connection);
            }
            assertThat(check.checkConnect(FakeConnection.from("192.0.2.7")).code()).isEqualTo(ReturnCode.DENYSOFT_DISCONNECT);
            assertThat(count("SELECT count(*) FROM reuse_slots WHERE expires > 0")).isEqualTo(4);
        } finally {
            check.release();
        }
    }

    private static long count(String sql) throws Exception {
        try (Connection connection = postgres.connect(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        }
    }
}
