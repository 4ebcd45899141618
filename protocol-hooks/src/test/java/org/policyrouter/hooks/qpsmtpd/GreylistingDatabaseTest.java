package org.policyrouter.hooks.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.FakeConnection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/** Greylisting on a database (store jdbc): the hook waits for it at most jdbc_timeout, whatever the database does. */
class GreylistingDatabaseTest {
    @TempDir
    Path config;

    private final List<Greylisting> checks = new ArrayList<>();

    @AfterEach
    void destroy() {
        checks.forEach(Greylisting::release);
    }

    private Greylisting greylisting(String url, String timeout) {
        Greylisting check = CheckFixtures.configured(new Greylisting(), config,
            "store", "jdbc", "jdbc_url", url, "jdbc_user", "sa", "jdbc_timeout", timeout);
        checks.add(check);
        return check;
    }

    private static Verdict mailFrom(Greylisting check, String client) {
        return check.checkMail(FakeConnection.from(client), EnvelopeAddress.parse("a@client.example"));
    }

    @Test
    void greylistsThroughTheDatabase() {
        Greylisting check = greylisting("jdbc:h2:mem:greylist-works;DB_CLOSE_DELAY=-1", "2s");

        assertThat(mailFrom(check, "192.0.2.1").code()).isEqualTo(ReturnCode.DENYSOFT);
        assertThat(mailFrom(check, "192.0.2.1").code()).as("still black").isEqualTo(ReturnCode.DENYSOFT);
    }

    @Test
    void aDatabaseThatHangsCostsTheHookAtMostTheTimeoutAndTheClientIsNotGreylisted() throws Exception {
        String url = "jdbc:h2:mem:greylist-hangs;DB_CLOSE_DELAY=-1";
        Greylisting check = greylisting(url, "500ms");
        // another session takes the database for itself: every statement of ours waits behind it
        try (Connection exclusive = DriverManager.getConnection(url, "sa", ""); Statement statement = exclusive.createStatement()) {
            statement.execute("SET EXCLUSIVE 1");

            long start = System.nanoTime();
            Verdict verdict = mailFrom(check, "192.0.2.1");
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertThat(verdict).isEqualTo(Verdict.DECLINED);
            assertThat(waited).as("the bound, plus scheduling on a busy machine").isBetween(Duration.ofMillis(400), Duration.ofMillis(2500));
            statement.execute("SET EXCLUSIVE 0");
        }
    }

    @Test
    void aDatabaseUnreachableAtStartIsReportedWithinTheTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> {
                List<Socket> held = new ArrayList<>();
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (java.io.IOException closed) {
                    held.forEach(socket -> {
                        try {
                            socket.close();
                        } catch (java.io.IOException ignored) {
                            // closing anyway
                        }
                    });
                }
            }, "test-silent-database");
            acceptor.start();
            long start = System.nanoTime();

            assertThatThrownBy(() -> greylisting("jdbc:h2:tcp://127.0.0.1:" + silent.getLocalPort() + "/mem:nothing", "500ms"))
                .hasMessageContaining("greylisting database jdbc:h2:tcp://127.0.0.1:");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void releasingTheLastCheckEndsTheStoresThreads() {
        List<Thread> before = storeThreads();
        Greylisting first = greylisting("jdbc:h2:mem:greylist-threads;DB_CLOSE_DELAY=-1", "2s");
        Greylisting second = greylisting("jdbc:h2:mem:greylist-threads;DB_CLOSE_DELAY=-1", "2s");
        mailFrom(first, "192.0.2.1");
        mailFrom(second, "192.0.2.2");
        assertThat(storeThreads()).filteredOn(thread -> !before.contains(thread)).isNotEmpty()
            .allMatch(thread -> thread.getName().startsWith("policyrouter-greylist-"));

        int open = Greylisting.openStores();
        first.release();
        assertThat(Greylisting.openStores()).isEqualTo(open);
        second.release();
        checks.clear();

        assertThat(Greylisting.openStores()).isEqualTo(open - 1);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> storeThreads().stream().allMatch(before::contains));
    }

    /** The live threads of greylisting stores (other tests' included: compare with a list taken before). */
    private static List<Thread> storeThreads() {
        List<Thread> threads = new ArrayList<>();
        Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
            .filter(thread -> thread.getName().contains("greylist")).forEach(threads::add);
        return threads;
    }
}
