package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deferred mail whose next attempt passed while the server was stopped is tried as soon as it is
 * back: no error at start (the retry thread of an earlier design logged a NullPointerException and
 * waited another minute), delivered within seconds.
 */
class DueAtStartIT {
    @TempDir
    Path tmp;

    @Test
    void deferredMailDueWhileTheServerWasStoppedIsDeliveredRightAfterTheStart() throws Exception {
        NextHop down = NextHop.down();
        try (InstalledServer server = InstalledServer.install(tmp.resolve("james"), "down.example " + down.hostAndPort() + "\n")) {
            SpoolCrashIT.retryQuickly(server);
            server.start();
            WebAdmin webAdmin = server.webAdmin();
            assertThat(server.send("user@down.example", "due at start")).isTrue();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> webAdmin.get("/spool/queues/spool/messages?state=deferred").size() == 1);
            server.process().close();
            // its next attempt (1-2 s) passes while the server is down
            Thread.sleep(3000);
            down.up();

            Instant restarted = Instant.now();
            server.start();
            down.awaitMessages(1, Duration.ofSeconds(30));

            assertThat(Duration.between(restarted, Instant.now())).as("delivered soon after the start").isLessThan(Duration.ofSeconds(50));
            assertThat(server.log()).doesNotContain("NullPointerException", "Exception in");
        } finally {
            down.close();
        }
    }
}
