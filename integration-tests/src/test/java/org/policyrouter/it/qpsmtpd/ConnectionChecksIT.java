package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;

/** Checks before and around the greeting: hosts_allow, earlytalker, count_unrecognized_commands. */
class ConnectionChecksIT {
    static final Duration WAIT = Duration.ofSeconds(1);
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory()
        .write("hosts_allow",
            "127.0.0.50 DECLINED",
            "127.0.0.48/29 DENY Sorry, known spam only source",
            "127.0.0.60 DENYSOFT try later please");

    @RegisterExtension
    static JamesServerExtension james = CHAIN.james(
            CHAIN.handler("HostsAllow", "<maxConnIp>2</maxConnIp>"),
            CHAIN.handler("Earlytalker", "<wait>1</wait>"),
            CHAIN.handler("CountUnrecognizedCommands", "<max>3</max>"))
        .build();

    private static SmtpConversation open(GuiceJamesServer server, String client) throws Exception {
        return SmtpConversation.openFrom(client, PolicyRouterJames.smtpPort(server), Duration.ofSeconds(10));
    }

    @Test
    void refusesAListedNetworkBeforeTheGreeting(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = open(server, "127.0.0.49")) {
            assertThat(smtp.readReply()).isEqualTo("550 Sorry, known spam only source");
            assertThat(smtp.isClosedByServer()).isTrue();
        }
    }

    @Test
    void anEarlierDeclinedLineLetsOneAddressOfADeniedNetworkIn(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = open(server, "127.0.0.50")) {
            assertThat(smtp.readReply()).startsWith("220 ");
        }
    }

    @Test
    void aDenysoftLineAnswers451(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = open(server, "127.0.0.60")) {
            assertThat(smtp.readReply()).isEqualTo("451 try later please");
            assertThat(smtp.isClosedByServer()).isTrue();
        }
    }

    @Test
    void limitsSimultaneousConnectionsFromOneAddress(GuiceJamesServer server) throws Exception {
        try (SmtpConversation first = open(server, "127.0.0.70"); SmtpConversation second = open(server, "127.0.0.70")) {
            assertThat(first.readReply()).startsWith("220 ");
            assertThat(second.readReply()).startsWith("220 ");
            try (SmtpConversation third = open(server, "127.0.0.70")) {
                assertThat(third.readReply()).isEqualTo("451 too many connections from 127.0.0.70, try again later");
                assertThat(third.isClosedByServer()).isTrue();
            }
            try (SmtpConversation elsewhere = open(server, "127.0.0.71")) {
                assertThat(elsewhere.readReply()).startsWith("220 ");
            }
            first.command("QUIT");
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (SmtpConversation again = open(server, "127.0.0.70")) {
                assertThat(again.readReply()).startsWith("220 ");
            }
        });
    }

    @Test
    void refusesAClientThatTalksBeforeTheGreeting(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = open(server, "127.0.0.80")) {
            smtp.write("EHLO early.example\r\n");
            assertThat(smtp.readReply()).isEqualTo("450 Connecting host started transmitting before SMTP greeting");
            assertThat(smtp.isClosedByServer()).isTrue();
        }
    }

    @Test
    void aClientThatPipelinesAWholeTransactionBeforeTheGreetingGetsOnlyTheRefusal(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = open(server, "127.0.0.82")) {
            smtp.write("EHLO early.example\r\nMAIL FROM:<a@early.example>\r\nRCPT TO:<postmaster@localhost>\r\nDATA\r\n"
                + "Subject: too early\r\n\r\nbody\r\n.\r\nQUIT\r\n");
            assertThat(smtp.readReply()).isEqualTo("450 Connecting host started transmitting before SMTP greeting");
            assertThat(smtp.isClosedByServer()).isTrue();
        }
    }

    @Test
    void greetsAPatientClientAfterTheWaitAndThenTalksNormally(GuiceJamesServer server) throws Exception {
        long start = System.nanoTime();
        try (SmtpConversation smtp = open(server, "127.0.0.81")) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(WAIT.minusMillis(50));
            assertThat(smtp.command("EHLO patient.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<a@patient.example>")).startsWith("250 ");
        }
    }

    @Test
    void holdingGreetingsBlocksNoThread(GuiceJamesServer server) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(12);
        try {
            List<CompletableFuture<Duration>> greetings = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 12; i++) {
                String client = "127.0.4." + (i + 1);
                greetings.add(CompletableFuture.supplyAsync(() -> {
                    try (SmtpConversation smtp = open(server, client)) {
                        assertThat(smtp.readReply()).startsWith("220 ");
                        return Duration.ofNanos(System.nanoTime() - start);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, clients));
            }
            for (CompletableFuture<Duration> greeting : greetings) {
                assertThat(greeting.get()).isBetween(WAIT.minusMillis(50), WAIT.plusMillis(1500));
            }
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void relayClientsAreGreetedAtOnce(GuiceJamesServer server) throws Exception {
        long start = System.nanoTime();
        try (SmtpConversation smtp = open(server, QpsmtpdChain.INSIDE)) {
            assertThat(smtp.readReply()).startsWith("220 ");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(700));
    }

    @Test
    void hangsUpOnTheThirdUnrecognizedCommand(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.90")) {
            assertThat(smtp.command("FOO")).startsWith("500 ");
            assertThat(smtp.command("BAR baz")).startsWith("500 ");
            assertThat(smtp.command("QUUX")).isEqualTo("521 5.5.1 Closing connection, 3 unrecognized commands. Perhaps you should read RFC 2821?");
            assertThat(smtp.isClosedByServer()).isTrue();
        }
    }
}
