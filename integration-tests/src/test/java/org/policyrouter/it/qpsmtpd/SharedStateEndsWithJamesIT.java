package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.hooks.state.PrivatePostgres;
import org.policyrouter.hooks.state.PrivateRedis;
import org.policyrouter.it.SmtpConversation;

/**
 * The checks' shared state (DNS resolvers, state stores on PostgreSQL and Redis and their threads)
 * ends with James: once the server has stopped (James calls each handler's destroy()), no thread of
 * theirs is left.
 */
class SharedStateEndsWithJamesIT {
    static final SilentDnsServer SILENT = SilentDnsServer.start();
    static final PrivatePostgres POSTGRES = started(PrivatePostgres::start);
    static final PrivateRedis REDIS = started(PrivateRedis::start);
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory().write("dnsbl_zones", "bl.test");
    static final String DNS_OPTIONS = "<dnsServers>" + SILENT.server() + "</dnsServers><dnsTimeout>500ms</dnsTimeout>";

    /** Registered first, so it runs after James's own after-all (the server's stop). */
    @RegisterExtension
    @Order(1)
    static final AfterAllCallback NO_THREADS_LEFT = new AfterAllCallback() {
        @Override
        public void afterAll(ExtensionContext context) {
            SILENT.close();
            POSTGRES.close();
            REDIS.close();
            Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(checkThreads()).isEmpty());
        }
    };

    @RegisterExtension
    @Order(2)
    static JamesServerExtension james = CHAIN.james(
            CHAIN.handler("Dnsbl", DNS_OPTIONS),
            CHAIN.handler("Greylisting", DNS_OPTIONS + "<store>postgresql</store><jdbc_url>" + POSTGRES.jdbcUrl() + "</jdbc_url>"
                + "<jdbc_user>" + POSTGRES.user() + "</jdbc_user><jdbc_password>" + POSTGRES.password() + "</jdbc_password>"),
            "<handler class=\"org.policyrouter.hooks.limits.ClusterLimits\"><configDir>" + CHAIN.configDir() + "</configDir>"
                + "<concurrency>10</concurrency><store>redis</store><redis_url>" + REDIS.url() + "</redis_url></handler>\n")
        .build();

    interface Start<T> {
        T start() throws Exception;
    }

    static <T> T started(Start<T> server) {
        try {
            return server.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> checkThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
            .filter(name -> name.startsWith("policyrouter-dns") || name.startsWith("policyrouter-state") || name.startsWith("policyrouter-redis"))
            .sorted().collect(Collectors.toList());
    }

    @Test
    void theChecksRunWithTheirOwnNamedThreads(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.50")) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<a@client.example>")).isEqualTo("450 4.7.1 This mail is temporarily denied");
        }

        assertThat(checkThreads()).anyMatch(name -> name.startsWith("policyrouter-dns-udp"))
            .anyMatch(name -> name.startsWith("policyrouter-state-db")).anyMatch(name -> name.startsWith("policyrouter-redis"));
    }
}
