package org.policyrouter.hooks.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.policyrouter.hooks.state.StateStoreContract.answer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;

/** The Redis engine against a real redis-server: the contract, keys that all expire, and a server that freezes, stops and returns. */
class RedisStateStoreTest implements StateStoreContract {
    private static final Duration FAULT_TIMEOUT = Duration.ofMillis(500);
    private static PrivateRedis redis;
    private static RedisStateStore store;

    @BeforeAll
    static void start() throws Exception {
        redis = PrivateRedis.start();
        store = new RedisStateStore(redis.url(), "contract", Duration.ofSeconds(2), System::currentTimeMillis);
    }

    @AfterAll
    static void stop() {
        store.close();
        redis.close();
    }

    @Override
    public StateStore store() {
        return store;
    }

    @Test
    void everyKeyTheStoreWroteExpiresByItself() {
        long now = System.currentTimeMillis();
        answer(store.saveTriplet(key("192.0.2.1"), new GreylistRecord(now, 1, 0, now + 60_000)));
        answer(store.addToWindow(key("rcpt/192.0.2.1"), 1, Duration.ofHours(1)));
        answer(store.openSlot(key("192.0.2.1"), "node-a:1", Duration.ofMinutes(10)));

        RedisClient client = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            List<String> keys = connection.sync().scan(ScanArgs.Builder.matches("contract:*").limit(10_000)).getKeys();
            assertThat(keys).isNotEmpty();
            for (String key : keys) {
                assertThat(connection.sync().pttl(key)).as(key).isPositive();
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aWrongPasswordStopsTheStartNamingTheServerButNotThePassword() {
        String wrong = "redis://:not-the-secret-word@127.0.0.1:" + redis.port() + "/0";
        long start = System.nanoTime();
        assertThatThrownBy(() -> new RedisStateStore(wrong, "x", FAULT_TIMEOUT, System::currentTimeMillis))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("state store redis redis://127.0.0.1:" + redis.port() + "/0: cannot connect: ")
            .message().doesNotContain("not-the-secret-word");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aClosedPortStopsTheStart() throws Exception {
        int closed = TestServers.freePort();
        assertThatThrownBy(() -> new RedisStateStore("redis://127.0.0.1:" + closed, "x", FAULT_TIMEOUT, System::currentTimeMillis))
            .hasMessageStartingWith("state store redis redis://127.0.0.1:" + closed + "/0: cannot connect");
    }

    @Test
    void aFrozenServerCostsTheCallerNothingAndTheCallFailsWithinTheTimeoutThenTheSameStoreAnswersAgain() throws Exception {
        try (RedisStateStore faulty = new RedisStateStore(redis.url(), "frozen", FAULT_TIMEOUT, System::currentTimeMillis)) {
            redis.freeze();
            CompletableFuture<Long> call;
            long started = System.nanoTime();
            try {
                call = faulty.addToWindow("k", 1, Duration.ofMinutes(1));
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the caller's thread").isLessThan(Duration.ofMillis(50));
                assertThatThrownBy(() -> call.get(FAULT_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS))
                    .hasRootCauseInstanceOf(io.lettuce.core.RedisCommandTimeoutException.class);
            } finally {
                redis.thaw();
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> faulty.addToWindow("k", 1, Duration.ofMinutes(1)).get(1, TimeUnit.SECONDS) >= 1);
        }
    }

    @Test
    void aStoppedServerRefusesCallsAtOnceAndTheSameStoreWorksAgainAfterItsRestart() throws Exception {
        try (RedisStateStore faulty = new RedisStateStore(redis.url(), "stopped", FAULT_TIMEOUT, System::currentTimeMillis)) {
            redis.stop();
            try {
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
                    CompletableFuture<Integer> call = faulty.openSlot("k", "a", Duration.ofMinutes(1));
                    try {
                        call.get(FAULT_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
                        return false;
                    } catch (java.util.concurrent.ExecutionException refused) {
                        return true;
                    }
                });
            } finally {
                redis.restart();
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> faulty.openSlot("k", "a", Duration.ofMinutes(1)).get(1, TimeUnit.SECONDS) == 1);
            String key = key("after-restart");
            Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().alias("the class's store reconnects too")
                .until(() -> store.addToWindow(key, 1, Duration.ofMinutes(1)).get(1, TimeUnit.SECONDS) >= 1);
        }
    }
}
