package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.SmtpSink;

/**
 * Two processes on one folder, as an operator who starts {@code bin/james-policy-router} twice: the
 * second exits non-zero, naming the first's PID, before it reads or changes anything in the spool;
 * the first keeps every mail it acknowledged, in flight and deferred.
 */
class SecondInstanceIT {
    @TempDir
    Path tmp;

    @Test
    void aSecondInstanceOnTheSameFolderExitsBeforeTouchingTheSpoolAndTheFirstDeliversEveryMailItAcknowledged() throws Exception {
        NextHop down = NextHop.down();
        try (SmtpSink up = SmtpSink.start();
             InstalledServer server = InstalledServer.install(tmp.resolve("james"), "down.example " + down.hostAndPort() + "\nup.example " + up.hostAndPort() + "\n")) {
            JamesProcess first = server.start();
            for (int i = 0; i < 5; i++) {
                assertThat(server.send("user" + i + "@down.example", "deferred-" + i)).isTrue();
            }
            WebAdmin webAdmin = server.webAdmin();
            Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> webAdmin.get("/spool/queues/spool/messages?state=deferred"), mails -> mails.size() == 5);
            Map<String, String> spoolBefore = snapshot(server.home.resolve("var/spool"));

            JamesProcess second = server.launch();
            int exit = second.awaitExit(Duration.ofSeconds(120));

            assertThat(exit).isNotZero();
            assertThat(second.output()).contains("is locked by process " + first.pid());
            assertThat(snapshot(server.home.resolve("var/spool"))).as("the spool after the second instance").isEqualTo(spoolBefore);
            assertThat(server.send("late@up.example", "after the second instance")).isTrue();
            assertThat(up.awaitMessages(1).get(0).getSubject()).isEqualTo("after the second instance");

            // and what the first acknowledged is still there after its own restart
            first.kill();
            server.start();
            down.up();
            assertThat(webAdmin.patch("/spool/queues/spool/messages?action=flush&domain=down.example").get("flushed").asInt()).isEqualTo(5);
            assertThat(down.awaitMessages(5, Duration.ofSeconds(60))).hasSize(5);
        } finally {
            down.close();
        }
    }

    /** Every file of the spool with its size and modification time. */
    static Map<String, String> snapshot(Path spool) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(spool)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (Files.isRegularFile(path)) {
                    files.put(spool.relativize(path).toString(), Files.size(path) + " " + Files.getLastModifiedTime(path).toMillis());
                }
            }
        }
        return files;
    }
}
