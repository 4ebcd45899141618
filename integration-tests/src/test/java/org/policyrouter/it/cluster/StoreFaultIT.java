package org.policyrouter.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.policyrouter.hooks.state.PrivatePostgres;
import org.policyrouter.hooks.state.PrivateRedis;
import org.policyrouter.it.SmtpConversation;

/**
 * A shared store frozen with SIGSTOP in the middle of a load, for each engine: a node whose
 * {@code limit} (concurrency, {@code store_failure tempfail}) and {@code greylisting}
 * ({@code store_failure accept}) use that store. While the store is frozen the open sessions go
 * on (their mail accepted, a new triplet let through unchecked), a new connection is refused with
 * 421, every command is answered within the store timeout plus scheduling, NOOPs on other
 * connections never wait longer (no event-loop thread blocked longer than the timeout), the node
 * logs the outage once; once the store is thawed the checks use it again without a restart.
 */
class StoreFaultIT {
    static final Duration TIMEOUT = Duration.ofMillis(500);
    /** What a loaded 2-core machine adds to a reply: JVM pauses, the other node, the test's own threads. */
    static final Duration SCHEDULING = Duration.ofMillis(1500);
    static final int SESSIONS = 4;

    private static PrivateRedis redis;
    private static PrivatePostgres postgres;
    private static ClusterNodes onRedis;
    private static ClusterNodes onPostgres;

    @BeforeAll
    static void start() throws Exception {
        redis = PrivateRedis.start();
        postgres = PrivatePostgres.start();
        Path folder = Files.createTempDirectory("store-faults");
        onRedis = ClusterNodes.start(folder.resolve("redis"), 1, plugins("store redis redis_url " + redis.url()));
        onPostgres = ClusterNodes.start(folder.resolve("postgres"), 1, plugins("store postgresql jdbc_url " + postgres.jdbcUrl()
            + " jdbc_user " + postgres.user() + " jdbc_password " + postgres.password()));
        whitelistTheLoad(onRedis);
        whitelistTheLoad(onPostgres);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {onRedis, onPostgres, redis, postgres}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    static String[] plugins(String store) {
        return new String[] {
            "limit concurrency 50 limit_relay_clients 1 store_timeout " + TIMEOUT.toMillis() + "ms store_failure tempfail " + store,
            "greylisting black_timeout 2 grey_timeout 3600 sender 1 recipient 1 store_timeout " + TIMEOUT.toMillis()
                + "ms store_failure accept " + store};
    }

    static String client(int session) {
        return "127.0.0." + (50 + session);
    }

    /** Each load session's triplet: deferred once, accepted after the black period, white from then on. */
    static void whitelistTheLoad(ClusterNodes nodes) throws Exception {
        for (int pass = 0; pass < 2; pass++) {
            for (int session = 0; session < SESSIONS; session++) {
                try (SmtpConversation smtp = nodes.greeted(0, client(session))) {
                    smtp.command("MAIL FROM:<load@client.example>");
                    String reply = smtp.command("RCPT TO:<load" + session + "@our.example>");
                    assertThat(reply).as("pass %d", pass).startsWith(pass == 0 ? "450 4.7.1" : "250");
                }
            }
            if (pass == 0) {
                Thread.sleep(2500);
            }
        }
    }

    @Test
    void aFrozenRedis() throws Exception {
        loadThroughAnOutage(onRedis, "redis redis://127.0.0.1:" + redis.port() + "/0", redis::freeze, redis::thaw);
    }

    @Test
    void aFrozenPostgreSql() throws Exception {
        loadThroughAnOutage(onPostgres, "postgresql jdbc:postgresql://127.0.0.1:" + postgres.port() + "/postgres", postgres::freeze, postgres::thaw);
    }

    interface Action {
        void run() throws Exception;
    }

    private void loadThroughAnOutage(ClusterNodes nodes, String store, Action freeze, Action thaw) throws Exception {
        Load load = new Load(nodes);
        Duration connectionWait;
        try (SmtpConversation probe = nodes.greeted(0, "127.0.0.70")) {
            load.start();
            Thread.sleep(2000);
            freeze.run();
            String newConnection;
            String newTriplet;
            try {
                Thread.sleep(1000);
                long started = System.nanoTime();
                try (SmtpConversation refused = nodes.connect(0, "127.0.0.71")) {
                    newConnection = refused.readReply();
                }
                connectionWait = Duration.ofNanos(System.nanoTime() - started);
                assertThat(probe.command("MAIL FROM:<probe@client.example>")).startsWith("250");
                newTriplet = probe.command("RCPT TO:<never-seen-" + System.nanoTime() + "@our.example>");
                Thread.sleep(3000);
            } finally {
                thaw.run();
            }
            assertThat(newConnection).as("limit, store_failure tempfail").isEqualTo("421 Temporarily unable to check, try again later");
            assertThat(connectionWait).isLessThan(TIMEOUT.plus(SCHEDULING));
            assertThat(newTriplet).as("greylisting, store_failure accept: not greylisted").startsWith("250");

            // the same checks use the store again, without a restart
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
                try (SmtpConversation again = nodes.connect(0, "127.0.0.72")) {
                    return again.readReply().startsWith("220 ");
                }
            });
            try (SmtpConversation after = nodes.greeted(0, "127.0.0.73")) {
                after.command("MAIL FROM:<after@client.example>");
                assertThat(after.command("RCPT TO:<new-after-" + System.nanoTime() + "@our.example>"))
                    .as("greylisting reads the store again").isEqualTo("450 4.7.1 This mail is temporarily denied");
            }
            Thread.sleep(1000);
        } finally {
            load.stop();
        }

        System.out.printf("StoreFaultIT %s: %d mails accepted, slowest command %d ms, slowest NOOP %d ms, new connection refused after %d ms%n",
            store, load.accepted, load.slowestCommand().toMillis(), load.slowestNoop().toMillis(), connectionWait.toMillis());
        assertThat(load.failures).as("sessions that broke").isEmpty();
        assertThat(load.accepted).as("mails accepted during the run").isGreaterThan(SESSIONS * 4);
        assertThat(load.slowestCommand()).as("the slowest command of the load").isLessThan(TIMEOUT.plus(SCHEDULING));
        assertThat(load.slowestNoop()).as("the slowest NOOP on the other connections").isLessThan(TIMEOUT.plus(SCHEDULING));
        String log = nodes.log(0);
        assertThat(count(log, "state store " + store + " unavailable")).as("outage lines in var/log/james.log").isEqualTo(1);
        assertThat(count(log, "state store " + store + " answers again")).isEqualTo(1);
    }

    private static int count(String text, String what) {
        Matcher matcher = Pattern.compile(Pattern.quote(what)).matcher(text);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    /** Sessions sending mail in a loop on open connections, and NOOPs every 50 ms on others, timing every reply. */
    static final class Load {
        private final ClusterNodes nodes;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        final List<Long> commandNanos = Collections.synchronizedList(new ArrayList<>());
        final List<Long> noopNanos = Collections.synchronizedList(new ArrayList<>());
        volatile int accepted;

        Load(ClusterNodes nodes) {
            this.nodes = nodes;
        }

        void start() throws Exception {
            for (int session = 0; session < SESSIONS; session++) {
                SmtpConversation smtp = nodes.greeted(0, client(session));
                int index = session;
                threads.add(new Thread(() -> mail(smtp, index), "load-" + session));
                SmtpConversation noop = nodes.greeted(0, "127.0.0." + (60 + session));
                threads.add(new Thread(() -> noops(noop), "noop-" + session));
            }
            threads.forEach(Thread::start);
        }

        private void mail(SmtpConversation smtp, int session) {
            try (smtp) {
                while (running.get()) {
                    expect(smtp, "MAIL FROM:<load@client.example>", "250");
                    expect(smtp, "RCPT TO:<load" + session + "@our.example>", "250");
                    long started = System.nanoTime();
                    String reply = smtp.data("Subject: load\r\n\r\nhello\r\n");
                    commandNanos.add(System.nanoTime() - started);
                    if (reply == null || !reply.startsWith("250")) {
                        failures.add("session " + session + " DATA: " + reply);
                        return;
                    }
                    synchronized (this) {
                        accepted++;
                    }
                }
            } catch (Exception e) {
                failures.add("session " + session + ": " + e);
            }
        }

        private void expect(SmtpConversation smtp, String command, String code) throws Exception {
            long started = System.nanoTime();
            String reply = smtp.command(command);
            commandNanos.add(System.nanoTime() - started);
            if (reply == null || !reply.startsWith(code)) {
                throw new IllegalStateException(command + " -> " + reply);
            }
        }

        private void noops(SmtpConversation smtp) {
            try (smtp) {
                while (running.get()) {
                    long started = System.nanoTime();
                    String reply = smtp.command("NOOP");
                    noopNanos.add(System.nanoTime() - started);
                    if (reply == null || !reply.startsWith("250")) {
                        failures.add("NOOP: " + reply);
                        return;
                    }
                    Thread.sleep(50);
                }
            } catch (Exception e) {
                failures.add("NOOP: " + e);
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(30_000);
            }
        }

        Duration slowestCommand() {
            synchronized (commandNanos) {
                return Duration.ofNanos(commandNanos.stream().mapToLong(Long::longValue).max().orElse(0));
            }
        }

        Duration slowestNoop() {
            synchronized (noopNanos) {
                return Duration.ofNanos(noopNanos.stream().mapToLong(Long::longValue).max().orElse(0));
            }
        }
    }
}
