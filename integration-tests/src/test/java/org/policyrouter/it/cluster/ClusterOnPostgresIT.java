package org.policyrouter.it.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.policyrouter.hooks.state.PrivatePostgres;

/** Two bundled nodes sharing greylisting and the limits through a real PostgreSQL. */
class ClusterOnPostgresIT extends SharedStateContract {
    private static PrivatePostgres postgres;
    private static ClusterNodes nodes;

    @BeforeAll
    static void start() throws Exception {
        postgres = PrivatePostgres.start();
        Path folder = Files.createTempDirectory("cluster-postgres");
        nodes = ClusterNodes.start(folder, 2, plugins("store postgresql jdbc_url " + postgres.jdbcUrl() + " jdbc_user " + postgres.user()
            + " jdbc_password " + postgres.password()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
        postgres.close();
    }

    @Override
    ClusterNodes nodes() {
        return nodes;
    }
}
