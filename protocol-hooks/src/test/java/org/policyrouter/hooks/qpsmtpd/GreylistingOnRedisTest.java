package org.policyrouter.hooks.qpsmtpd;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.policyrouter.hooks.state.PrivateRedis;

class GreylistingOnRedisTest extends GreylistingOnSharedStoreTest {
    private static PrivateRedis redis;

    @BeforeAll
    static void start() throws Exception {
        redis = PrivateRedis.start();
    }

    @AfterAll
    static void stop() {
        redis.close();
    }

    @Override
    List<String> engineOptions() {
        return List.of("store", "redis", "redis_url", redis.url());
    }

    @Override
    void freeze() throws Exception {
        redis.freeze();
    }

    @Override
    void thaw() throws Exception {
        redis.thaw();
    }
}
