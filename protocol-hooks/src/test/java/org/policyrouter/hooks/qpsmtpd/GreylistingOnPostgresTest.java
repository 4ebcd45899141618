package org.policyrouter.hooks.qpsmtpd;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.policyrouter.hooks.state.PrivatePostgres;

class GreylistingOnPostgresTest extends GreylistingOnSharedStoreTest {
    private static PrivatePostgres postgres;

    @BeforeAll
    static void start() throws Exception {
        postgres = PrivatePostgres.start();
    }

    @AfterAll
    static void stop() {
        postgres.close();
    }

    @Override
    List<String> engineOptions() {
        return List.of("store", "postgresql", "jdbc_url", postgres.jdbcUrl(), "jdbc_user", postgres.user(), "jdbc_password", postgres.password());
    }

    @Override
    void freeze() throws Exception {
        postgres.freeze();
    }

    @Override
    void thaw() throws Exception {
        postgres.thaw();
    }
}
