package org.policyrouter.hooks.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;
import static org.policyrouter.hooks.state.StateStoreContract.answer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on a real PostgreSQL server ({@link PrivatePostgres}), and what only a database
 * brings: tables created or refused at start, a wrong password or a hung, stopped or restarted
 * server. The fault tests use a second store with a short timeout and leave the server running.
 */
class JdbcStateStoreTest implements StateStoreContract {
    private static final Duration SHORT = Duration.ofMillis(500);

    private static PrivatePostgres server;
    private static JdbcStateStore store;

    @BeforeAll
    static void startServer() throws Exception {
        server = PrivatePostgres.start();
        store = new JdbcStateStore(server.jdbcUrl(), server.user(), server.password(), "policyrouter", Duration.ofSeconds(3),
            System::currentTimeMillis);
    }

    @AfterAll
    static void stopServer() {
        if (store != null) {
            store.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Override
    public StateStore store() {
        return store;
    }

    @Test
    void theTablesAreCreatedAtStart() throws Exception {
        List<String> columns = new ArrayList<>();
        try (Connection connection = server.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT table_name || '.' || column_name FROM information_schema.columns"
                 + " WHERE table_name LIKE 'policyrouter\\_%' ORDER BY 1")) {
            while (rows.next()) {
                columns.add(rows.getString(1));
            }
        }
        assertThat(columns).containsExactlyInAnyOrder(
            "policyrouter_greylist.triplet", "policyrouter_greylist.seen", "policyrouter_greylist.blocked",
            "policyrouter_greylist.passed", "policyrouter_greylist.expires",
            "policyrouter_counters.counter", "policyrouter_counters.total", "policyrouter_counters.expires",
            "policyrouter_slots.slot_key", "policyrouter_slots.slot_id", "policyrouter_slots.expires");
    }

    @Test
    void aSecondStartFindsTheTablesAndTheirRows() {
        String key = key("192.0.2.20");
        long now = System.currentTimeMillis();
        GreylistRecord record = new GreylistRecord(now, 1, 0, now + 60_000);
        answer(store.saveTriplet(key, record));
        try (JdbcStateStore again = new JdbcStateStore(server.jdbcUrl(), server.user(), server.password(), "policyrouter",
            Duration.ofSeconds(3), System::currentTimeMillis)) {
            assertThat(answer(again.findTriplet(key))).contains(record);
        }
    }

    @Test
    void windowsOfOtherLengthsCountApart() {
        String key = key("rcpt/192.0.2.21");
        assertThat(answer(store.addToWindow(key, 5, Duration.ofHours(1)))).isEqualTo(5);
        assertThat(answer(store.addToWindow(key, 1, Duration.ofMinutes(1)))).isEqualTo(1);
    }

    @Test
    void expiredRowsAreDeletedNowAndThen() throws Exception {
        AtomicLong now = new AtomicLong(1_000_000);
        try (JdbcStateStore swept = new JdbcStateStore(server.jdbcUrl(), server.user(), server.password(), "swept",
            Duration.ofSeconds(3), now::get)) {
            answer(swept.saveTriplet("old", new GreylistRecord(now.get(), 1, 0, now.get() + 1000)));
            answer(swept.addToWindow("old", 1, Duration.ofSeconds(1)));
            answer(swept.openSlot("old", "node-a:1", Duration.ofSeconds(1)));
            now.addAndGet(5000);
            assertThat(answer(swept.findTriplet("old"))).isEmpty();
            assertThat(rows("swept_greylist") + rows("swept_counters") + rows("swept_slots")).isEqualTo(3);
            for (int i = 0; i < 256; i++) {
                GreylistRecord record = new GreylistRecord(now.get(), 1, 0, now.get() + 60_000);
                answer(swept.saveTriplet("new", record));
                answer(swept.addToWindow("new", 1, Duration.ofHours(1)));
                answer(swept.openSlot("new", "node-a:1", Duration.ofMinutes(1)));
            }
            assertThat(rows("swept_greylist")).isEqualTo(1);
            assertThat(rows("swept_counters")).isEqualTo(1);
            assertThat(rows("swept_slots")).isEqualTo(1);
        }
    }

    private static long rows(String table) throws Exception {
        try (Connection connection = server.connect(); Statement statement = connection.createStatement();
             ResultSet count = statement.executeQuery("SELECT count(*) FROM " + table)) {
            count.next();
            return count.getLong(1);
        }
    }

    @Test
    void aTableWithOtherColumnsStopsTheStartNamingIt() throws Exception {
        try (Connection connection = server.connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE othercolumns_counters (counter TEXT PRIMARY KEY, amount BIGINT)");
        }
        assertThatThrownBy(() -> new JdbcStateStore(server.jdbcUrl(), server.user(), server.password(), "othercolumns", SHORT,
            System::currentTimeMillis).close())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("othercolumns_counters")
            .hasMessageContaining("total");
    }

    @Test
    void aTableWithoutItsKeyStopsTheStart() throws Exception {
        try (Connection connection = server.connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE nokey_slots (slot_key TEXT, slot_id TEXT, expires BIGINT)");
        }
        assertThatThrownBy(() -> new JdbcStateStore(server.jdbcUrl(), server.user(), server.password(), "nokey", SHORT,
            System::currentTimeMillis).close())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("nokey_slots")
            .hasMessageContaining("slot_id");
    }

    @Test
    void aBadTablePrefixIsRefused() {
        assertThatThrownBy(() -> new JdbcStateStore(server.jdbcUrl(), server.user(), server.password(), "x; DROP TABLE y", SHORT,
            System::currentTimeMillis))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWrongPasswordStopsTheStartNamingTheUrlNotThePassword() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> new JdbcStateStore(server.jdbcUrl(), server.user(), "wrong-secret-9f2c", "policyrouter",
            Duration.ofSeconds(1), System::currentTimeMillis).close())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining(server.jdbcUrl())
            .hasMessageContaining("password authentication failed")
            .hasMessageNotContaining("wrong-secret-9f2c");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void anUnreachableServerStopsTheStartNamingTheUrl() throws Exception {
        String url;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            url = "jdbc:postgresql://127.0.0.1:" + socket.getLocalPort() + "/postgres";
        }
        String closed = url;
        assertThatThrownBy(() -> new JdbcStateStore(closed, "policyrouter", "secret", "policyrouter", SHORT,
            System::currentTimeMillis).close())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining(closed)
            .hasMessageContaining("Connection")
            .hasMessageNotContaining("secret");
    }

    @Test
    void credentialsInTheUrlAreUsedButNotDescribed() {
        String url = server.jdbcUrl() + "?user=" + server.user() + "&password=" + server.password() + "&ApplicationName=test";
        try (JdbcStateStore inUrl = new JdbcStateStore(url, null, null, "policyrouter", Duration.ofSeconds(3),
            System::currentTimeMillis)) {
            assertThat(answer(inUrl.addToWindow(key("url"), 2, Duration.ofHours(1)))).isEqualTo(2);
            assertThat(inUrl.describe())
                .isEqualTo("postgresql " + server.jdbcUrl() + "?ApplicationName=test")
                .doesNotContain(server.password());
        }
        assertThat(JdbcStateStore.withoutCredentials("jdbc:postgresql://db.example:5432/mail?password=x&user=u"))
            .isEqualTo("jdbc:postgresql://db.example:5432/mail");
        assertThat(JdbcStateStore.withoutCredentials("jdbc:postgresql://u:x@db.example/mail?ssl=true&sslpassword=x"))
            .isEqualTo("jdbc:postgresql://db.example/mail?ssl=true");
    }

    @Test
    void aFrozenServerFailsCallsInTimeWithoutHoldingTheCallerOrTheThreads() throws Exception {
        try (JdbcStateStore fault = new JdbcStateStore(server.jdbcUrl(), server.user(), server.password(), "frozen", SHORT,
            System::currentTimeMillis)) {
            String key = key("192.0.2.30");
            assertThat(answer(fault.addToWindow(key, 1, Duration.ofHours(1)))).isEqualTo(1);
            server.freeze();
            try {
                failsInTime(() -> fault.findTriplet(key));
                failsInTime(() -> fault.addToWindow(key, 1, Duration.ofHours(1)));
                failsInTime(() -> fault.openSlot(key, "node-a:1", Duration.ofMinutes(1)));
                // the driver's socket timeout (1 s) ends the statements the futures gave up on
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(storeThreadsInTheDatabase()).isEmpty());
            } finally {
                server.thaw();
            }
            // the same store, no new one: the pool replaces the connections that timed out
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .untilAsserted(() -> assertThat(answer(fault.addToWindow(key, 1, Duration.ofHours(1)))).isGreaterThanOrEqualTo(2));
            assertThat(answer(fault.findTriplet(key))).isEmpty();
        }
    }

    @Test
    void aStoppedServerFailsCallsAndARestartedOneAnswersTheSameStore() throws Exception {
        try (JdbcStateStore fault = new JdbcStateStore(server.jdbcUrl(), server.user(), server.password(), "restarted", SHORT,
            System::currentTimeMillis)) {
            String key = key("192.0.2.31");
            assertThat(answer(fault.addToWindow(key, 1, Duration.ofHours(1)))).isEqualTo(1);
            server.stop();
            try {
                failsInTime(() -> fault.addToWindow(key, 1, Duration.ofHours(1)));
            } finally {
                server.restart();
            }
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .untilAsserted(() -> assertThat(answer(fault.addToWindow(key, 1, Duration.ofHours(1)))).isGreaterThanOrEqualTo(2));
            // the class's store reconnects too
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .untilAsserted(() -> assertThat(answer(store.findTriplet(key("after-restart")))).isEmpty());
        }
    }

    /** The call returns at once (well under 50 ms) and its future fails by the store's timeout plus a second. */
    private static <T> void failsInTime(Supplier<CompletableFuture<T>> call) throws InterruptedException {
        long start = System.nanoTime();
        CompletableFuture<T> future = call.get();
        Duration returned = Duration.ofNanos(System.nanoTime() - start);
        assertThat(returned).isLessThan(Duration.ofMillis(50));
        try {
            T value = future.get(SHORT.toMillis() + 1000 - returned.toMillis(), TimeUnit.MILLISECONDS);
            fail("the store answered " + Optional.ofNullable(value) + " while the server cannot");
        } catch (ExecutionException e) {
            // failed in time
        } catch (TimeoutException e) {
            fail("the future did not complete within " + (SHORT.toMillis() + 1000) + " ms");
        }
    }

    /** This store's threads (policyrouter-state-db-N) that are still in the driver or the pool. */
    private static List<String> storeThreadsInTheDatabase() {
        List<String> busy = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> thread : Thread.getAllStackTraces().entrySet()) {
            if (thread.getKey().getName().startsWith("policyrouter-state-db-") && Arrays.stream(thread.getValue())
                .anyMatch(frame -> frame.getClassName().startsWith("org.postgresql") || frame.getClassName().startsWith("com.zaxxer"))) {
                busy.add(thread.getKey().getName() + " " + Arrays.toString(thread.getValue()).replace(", ", "\n  "));
            }
        }
        return busy;
    }
}
