package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import javax.mail.internet.MimeMessage;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.SmtpSink;

/**
 * Our threads end with James: mail goes through spp plugins (a [connection] plugin holding the
 * greeting on a worker, a [mail] plugin adding a header), the held 250 and the policy (transport
 * to a next hop, hot reload on), then James stops and no thread of ours is left.
 */
class SppThreadsEndWithJamesIT {
    /** Every name our threads had or have: the current prefix and the older names. */
    private static final List<String> OUR_THREADS = List.of(
        "policyrouter-", "spp-", "smtp-reply-waiter", "policy-reload", "qpsmtpd-dns", "spool-");

    /**
     * Taken when the class loads, before its server starts: the test JVM runs every IT class, and
     * a thread another class's server left is that class's to answer for, not this server's.
     */
    private static final Set<Thread> BEFORE_THIS_SERVER = Set.copyOf(ourThreads());

    static final SmtpSink NEXT_HOP = SmtpSink.start();
    static final SppPlugins PLUGINS = SppPlugins.create();

    @RegisterExtension
    static JamesServerExtension james = PLUGINS.configure(PolicyRouterJames.builder()
            .withFile("policy/transport", "example.net " + NEXT_HOP.hostAndPort() + "\n"),
        xml -> xml)
        .build();

    @AfterAll
    static void stopSink() {
        NEXT_HOP.close();
    }

    @Test
    void noThreadOfOursIsAliveAfterJamesStops(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins(
            "[connection]", ":echo 'LX-unused: noted' >/dev/null",
            "[mail]", ":echo \"HX-Spp-Mail: $SMTPMAILFROM\"");
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).isEqualTo("220 james-policy-router ESMTP");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).startsWith("250 ");
            assertThat(smtp.data("Subject: threads\r\n\r\nbody\r\n")).startsWith("250 ").contains("queued as");
            smtp.command("QUIT");
        }
        List<MimeMessage> delivered = NEXT_HOP.awaitMessages(1);
        assertThat(delivered.get(0).getHeader("X-Spp-Mail")).containsExactly("sender@example.org");
        assertThat(ours()).as("our threads while James runs")
            .contains("policyrouter-reply-waiter", "policyrouter-spp-worker-1")
            .anySatisfy(name -> assertThat(name).startsWith("policyrouter-policy-reload-"));

        server.stop();

        assertThat(awaitGone(Duration.ofSeconds(20))).as("threads of ours alive after James stopped").isEmpty();
    }

    private static List<String> awaitGone(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        List<String> alive = ours();
        while (!alive.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            alive = ours();
        }
        return alive;
    }

    /** Names of the threads of ours this server started and that are still alive. */
    private static List<String> ours() {
        return ourThreads().stream()
            .filter(thread -> !BEFORE_THIS_SERVER.contains(thread))
            .map(Thread::getName)
            .sorted()
            .collect(Collectors.toList());
    }

    private static List<Thread> ourThreads() {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(Thread::isAlive)
            .filter(thread -> OUR_THREADS.stream().anyMatch(thread.getName()::startsWith))
            .collect(Collectors.toList());
    }
}
