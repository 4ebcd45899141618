package org.policyrouter.it.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.policyrouter.hooks.state.PrivateRedis;

/** Two bundled nodes sharing greylisting and the limits through a real Redis. */
class ClusterOnRedisIT extends SharedStateContract {
    private static PrivateRedis redis;
    private static ClusterNodes nodes;

    @BeforeAll
    static void start() throws Exception {
        redis = PrivateRedis.start();
        Path folder = Files.createTempDirectory("cluster-redis");
        nodes = ClusterNodes.start(folder, 2, plugins("store redis redis_url " + redis.url()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
        redis.close();
    }

    @Override
    ClusterNodes nodes() {
        return nodes;
    }
}
