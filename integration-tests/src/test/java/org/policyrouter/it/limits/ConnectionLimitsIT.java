package org.policyrouter.it.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;

/**
 * Issue 19, item 12: connections. Without limits James took 3,000 idle connections from one
 * address. The shipped
 * per-address limit (50) and total limit (1,000) answer the next connection
 * {@code 421 <name> Too many connections…} before the greeting (the idle timeout: {@link IdleTimeoutIT}).
 * Clients connect from loopback addresses other than
 * 127.0.0.1, which alone may relay here (relay clients are exempt from the per-address limit).
 */
class ConnectionLimitsIT {
    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .editConf("smtpserver.xml", xml -> xml
            .replace("<authorizedAddresses>127.0.0.0/8</authorizedAddresses>", "<authorizedAddresses>127.0.0.1</authorizedAddresses>"))
        .build();

    static SmtpConversation open(GuiceJamesServer server, String client) throws Exception {
        return SmtpConversation.openFrom(client, PolicyRouterJames.smtpPort(server), Duration.ofSeconds(10));
    }

    static String helloName(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = open(server, "127.0.0.99")) {
            smtp.readReply();
            // "250-<name> Hello client.example …"
            return smtp.command("EHLO client.example").split("[- ]")[1];
        }
    }

    static List<SmtpConversation> greeted(GuiceJamesServer server, String client, int count) throws Exception {
        List<SmtpConversation> open = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SmtpConversation smtp = open(server, client);
            assertThat(smtp.readReply()).as("connection %d from %s", i + 1, client).startsWith("220 ");
            open.add(smtp);
        }
        return open;
    }

    static void closeAll(List<SmtpConversation> connections) throws Exception {
        for (SmtpConversation smtp : connections) {
            smtp.close();
        }
    }

    @Test
    void theFiftyFirstConnectionFromOneAddressIsRefusedWith421(GuiceJamesServer server) throws Exception {
        String name = helloName(server);
        List<SmtpConversation> fifty = greeted(server, "127.0.0.20", 50);
        try {
            try (SmtpConversation next = open(server, "127.0.0.20")) {
                assertThat(next.readReply()).isEqualTo("421 " + name + " Too many connections from 127.0.0.20, try again later");
                assertThat(next.isClosedByServer()).isTrue();
            }
            try (SmtpConversation elsewhere = open(server, "127.0.0.21")) {
                assertThat(elsewhere.readReply()).startsWith("220 ");
            }
        } finally {
            closeAll(fifty.subList(1, 50));
        }
        // the count follows the connections that close
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (SmtpConversation again = open(server, "127.0.0.20")) {
                assertThat(again.readReply()).startsWith("220 ");
            }
        });
        fifty.get(0).close();
    }

    @Test
    void aClientAllowedToRelayIsNotHeldToThePerAddressLimit(GuiceJamesServer server) throws Exception {
        // retried while connections of the other tests are still being closed on the server's side
        Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<SmtpConversation> many = new ArrayList<>();
            try {
                many.addAll(greeted(server, "127.0.0.1", 55));
            } finally {
                closeAll(many);
            }
        });
    }

    @Test
    void theConnectionOverTheTotalLimitIsRefusedWith421(GuiceJamesServer server) throws Exception {
        String name = helloName(server);
        // from 127.0.0.1, exempt from the per-address limit: James looks up the name of every client
        // address on connect (a reverse DNS query on the I/O thread), instant only for localhost;
        // retried while connections of the other tests are still being closed on the server's side
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<SmtpConversation> open = new ArrayList<>();
            try {
                open.addAll(greeted(server, "127.0.0.1", 1000));
                try (SmtpConversation next = open(server, "127.0.0.1")) {
                    assertThat(next.readReply()).isEqualTo("421 " + name + " Too many connections, try again later");
                    assertThat(next.isClosedByServer()).isTrue();
                }
            } finally {
                closeAll(open);
            }
        });
    }
}
