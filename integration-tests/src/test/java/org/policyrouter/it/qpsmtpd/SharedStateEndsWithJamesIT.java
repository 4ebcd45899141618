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
import org.policyrouter.it.SmtpConversation;

/**
 * The checks' shared state (DNS resolvers, greylisting stores and their threads) ends with James:
 * once the server has stopped (James calls each handler's destroy()), no thread of theirs is left.
 */
class SharedStateEndsWithJamesIT {
    static final SilentDnsServer SILENT = SilentDnsServer.start();
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory().write("dnsbl_zones", "bl.test");
    static final String DNS_OPTIONS = "<dnsServers>" + SILENT.server() + "</dnsServers><dnsTimeout>500ms</dnsTimeout>";

    /** Registered first, so it runs after James's own after-all (the server's stop). */
    @RegisterExtension
    @Order(1)
    static final AfterAllCallback NO_THREADS_LEFT = new AfterAllCallback() {
        @Override
        public void afterAll(ExtensionContext context) {
            SILENT.close();
            Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(checkThreads()).isEmpty());
        }
    };

    @RegisterExtension
    @Order(2)
    static JamesServerExtension james = CHAIN.james(
            CHAIN.handler("Dnsbl", DNS_OPTIONS),
            CHAIN.handler("Greylisting", DNS_OPTIONS + "<store>jdbc</store><jdbcUrl>jdbc:h2:mem:grey-it;DB_CLOSE_DELAY=-1</jdbcUrl>"
                + "<jdbcUser>sa</jdbcUser><jdbcTimeout>20s</jdbcTimeout>"))
        .build();

    static List<String> checkThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
            .filter(name -> name.startsWith("policyrouter-dns") || name.startsWith("policyrouter-greylist"))
            .sorted().collect(Collectors.toList());
    }

    @Test
    void theChecksRunWithTheirOwnNamedThreads(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.50")) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<a@client.example>")).isEqualTo("450 4.7.1 This mail is temporarily denied");
        }

        assertThat(checkThreads()).anyMatch(name -> name.startsWith("policyrouter-dns-udp"))
            .anyMatch(name -> name.startsWith("policyrouter-greylist-db"));
    }
}
