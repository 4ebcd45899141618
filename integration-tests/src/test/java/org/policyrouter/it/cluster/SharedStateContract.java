package org.policyrouter.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.policyrouter.it.SmtpConversation;

/**
 * What two nodes sharing a store must show a client, whatever the store (Redis, PostgreSQL):
 * greylisting remembers a triplet across nodes, and the limits count connections and recipients
 * of both nodes together. Each test uses its own client address, so the counts stay apart.
 */
abstract class SharedStateContract {
    static final int BLACK_SECONDS = 4;
    /** Messages per client an hour: each node reserves blocks of the counter while far from it. */
    static final int BUSY_LIMIT = 300;

    /** The plugins lines both nodes run, with {@code storeOptions} on each shared check. */
    static String[] plugins(String storeOptions) {
        return new String[] {
            "limit concurrency 3 rate_rcpt_host 5/1h rate_msg_host " + BUSY_LIMIT + "/1h " + storeOptions,
            "greylisting black_timeout " + BLACK_SECONDS + " grey_timeout 3600 sender 1 recipient 1 " + storeOptions};
    }

    abstract ClusterNodes nodes();

    private static String rcpt(SmtpConversation smtp, String recipient) throws Exception {
        return smtp.command("RCPT TO:<" + recipient + "@" + ClusterNodes.DOMAIN + ">");
    }

    @Test
    void aTripletFirstSeenOnOneNodePassesOnTheOtherAfterTheBlackPeriod() throws Exception {
        String client = "127.0.0.30";
        try (SmtpConversation a = nodes().greeted(0, client)) {
            assertThat(a.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(rcpt(a, "grey")).isEqualTo("450 4.7.1 This mail is temporarily denied");
        }
        try (SmtpConversation b = nodes().greeted(1, client)) {
            assertThat(b.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(rcpt(b, "grey")).as("still black, on the other node").isEqualTo("450 4.7.1 This mail is temporarily denied");
        }
        Thread.sleep(Duration.ofSeconds(BLACK_SECONDS + 1).toMillis());
        try (SmtpConversation b = nodes().greeted(1, client)) {
            assertThat(b.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(rcpt(b, "grey")).startsWith("250");
            assertThat(rcpt(b, "other")).as("another triplet is new").isEqualTo("450 4.7.1 This mail is temporarily denied");
        }
        try (SmtpConversation a = nodes().greeted(0, client)) {
            assertThat(a.command("MAIL FROM:<sender@client.example>")).startsWith("250");
            assertThat(rcpt(a, "grey")).as("white on the first node too").startsWith("250");
        }
    }

    @Test
    void threeConnectionsFromOneClientOnBothNodesAndTheFourthOnEitherIsRefused() throws Exception {
        String client = "127.0.0.20";
        List<SmtpConversation> open = new ArrayList<>();
        try {
            open.add(nodes().greeted(0, client));
            open.add(nodes().greeted(0, client));
            open.add(nodes().greeted(1, client));
            for (int node = 0; node < 2; node++) {
                try (SmtpConversation fourth = nodes().connect(node, client)) {
                    assertThat(fourth.readReply()).as("node %d", node).isEqualTo("421 Too many connections from 127.0.0.20, try again later");
                    assertThat(fourth.readReply()).as("closed").isNull();
                }
            }
            try (SmtpConversation elsewhere = nodes().greeted(1, "127.0.0.21")) {
                assertThat(elsewhere.command("NOOP")).startsWith("250");
            }
            open.remove(0).close();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                try (SmtpConversation again = nodes().connect(1, client)) {
                    return again.readReply().startsWith("220 ");
                }
            });
        } finally {
            for (SmtpConversation smtp : open) {
                smtp.close();
            }
        }
    }

    @Test
    void theRecipientRateOfAClientHoldsAcrossBothNodes() throws Exception {
        String client = "127.0.0.40";
        try (SmtpConversation a = nodes().greeted(0, client); SmtpConversation b = nodes().greeted(1, client)) {
            assertThat(a.command("MAIL FROM:<rate@client.example>")).startsWith("250");
            assertThat(b.command("MAIL FROM:<rate@client.example>")).startsWith("250");
            for (int i = 1; i <= 5; i++) {
                SmtpConversation node = i % 2 == 0 ? b : a;
                // within the rate: greylisting answers (each triplet is new)
                assertThat(rcpt(node, "r" + i)).as("recipient %d", i).isEqualTo("450 4.7.1 This mail is temporarily denied");
            }
            assertThat(rcpt(b, "r6")).isEqualTo("450 4.7.1 Too many recipients from 127.0.0.40 (limit 5 per 1h), try again later");
            assertThat(rcpt(a, "r7")).isEqualTo("450 4.7.1 Too many recipients from 127.0.0.40 (limit 5 per 1h), try again later");
        }
    }

    @Test
    void aBusyClientOnBothNodesAtOnceGetsExactlyTheLimitBetweenThem() throws Exception {
        String client = "127.0.0.50";
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<String>>> nodes = new ArrayList<>();
            for (int node = 0; node < 2; node++) {
                int index = node;
                Callable<List<String>> session = () -> {
                    List<String> replies = new ArrayList<>();
                    try (SmtpConversation smtp = nodes().greeted(index, client)) {
                        // more than the limit on each node: each node goes past it
                        for (int i = 0; i < BUSY_LIMIT + 50; i++) {
                            replies.add(smtp.command("MAIL FROM:<busy@client.example>"));
                            smtp.command("RSET");
                        }
                    }
                    return replies;
                };
                nodes.add(threads.submit(session));
            }
            List<String> replies = new ArrayList<>();
            for (Future<List<String>> node : nodes) {
                replies.addAll(node.get(120, TimeUnit.SECONDS));
            }

            assertThat(replies.stream().filter(reply -> reply.startsWith("250"))).as("accepted on both nodes").hasSize(BUSY_LIMIT);
            assertThat(replies.stream().filter(reply -> !reply.startsWith("250")))
                .allMatch(reply -> reply.equals("450 4.7.1 Too many messages from 127.0.0.50 (limit " + BUSY_LIMIT + " per 1h), try again later"))
                .hasSize(2 * (BUSY_LIMIT + 50) - BUSY_LIMIT);
        } finally {
            threads.shutdownNow();
        }
    }
}
