package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.Processes;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.SmtpSink;

/**
 * Plugins that fail: each gives qmail-spp's temporary failure (or is read as far as it makes
 * sense), nothing hangs, and the server goes on serving other sessions. The timeout is 2 s here.
 */
class SppFailuresIT {
    static final SmtpSink NEXT_HOP = SmtpSink.start();
    static final SppPlugins PLUGINS = SppPlugins.create();
    static final String CRASH = PLUGINS.compile("crash");

    @RegisterExtension
    static JamesServerExtension james = PLUGINS.configure(PolicyRouterJames.builder()
            .withFile("policy/transport", "example.net " + NEXT_HOP.hostAndPort() + "\n"),
        xml -> xml.replace("<timeout>60s</timeout>", "<timeout>2s</timeout>"))
        .build();

    static final String MESSAGE = "From: sender@example.org\r\nSubject: failures\r\n\r\nbody\r\n";

    @AfterAll
    static void stopSink() {
        NEXT_HOP.close();
    }

    @BeforeEach
    void reset() {
        NEXT_HOP.reset();
        PLUGINS.smtpplugins("[connection]");
    }

    private static SmtpConversation atMail(GuiceJamesServer server) throws Exception {
        SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server));
        smtp.readReply();
        assertThat(smtp.command("HELO client.example")).startsWith("250 ");
        return smtp;
    }

    @Test
    void aMissingProgramGivesTheTemporaryFailure(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[mail]", "plugins/missing");

        try (SmtpConversation smtp = atMail(server)) {
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("451 qmail-spp failure: plugins/missing: can't execute (#4.3.0)");
            assertThat(smtp.command("NOOP")).startsWith("250 ");
        }
    }

    @Test
    void aMissingProgramOnAShellLineGivesTheTemporaryFailureToo(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[mail]", ":plugins/missing --with-secret-key=s3cret");

        try (SmtpConversation smtp = atMail(server)) {
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("451 qmail-spp failure: plugins/missing: can't execute (#4.3.0)");
        }
    }

    @Test
    void aFileThatIsNotExecutableGivesTheTemporaryFailure(GuiceJamesServer server) throws Exception {
        String plugin = PLUGINS.script("noexec", "echo E550 never");
        Files.setPosixFilePermissions(PLUGINS.file(plugin), PosixFilePermissions.fromString("rw-r--r--"));
        PLUGINS.smtpplugins("[mail]", plugin);

        try (SmtpConversation smtp = atMail(server)) {
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("451 qmail-spp failure: plugins/noexec: can't execute (#4.3.0)");
        }
    }

    @Test
    void aCrashGivesTheTemporaryFailureAndWhatItPrintedHasNoEffect(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[mail]", CRASH);

        try (SmtpConversation smtp = atMail(server)) {
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("451 qmail-spp failure: plugins/crash: child crashed (#4.3.0)");
        }
    }

    @Test
    void exitStatus120GivesTheTemporaryFailure(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", PLUGINS.script("exit120", "echo HX-Lost: yes", "exit 120"));

        try (SmtpConversation smtp = atMail(server)) {
            smtp.command("MAIL FROM:<sender@example.org>");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).isEqualTo("451 qmail-spp failure: plugins/exit120: can't execute (#4.3.0)");
        }
    }

    @Test
    void exit120AfterAnErrorGivesOneReplyNotTwo(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[mail]", ":echo E553 5.7.1 refused; exit 120");

        try (SmtpConversation smtp = atMail(server)) {
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("553 5.7.1 refused");
            assertThat(smtp.command("NOOP")).as("the next reply belongs to the next command").startsWith("250 ");
        }
    }

    @Test
    void anEndlessPluginIsKilledWithItsChildrenAtTheTimeoutWhileOtherSessionsAreServed(GuiceJamesServer server) throws Exception {
        Path pids = PLUGINS.file("endless.pids");
        PLUGINS.smtpplugins("[rcpt]", ":sleep 600 & echo $! > " + pids + "; while :; do :; done");

        try (SmtpConversation smtp = atMail(server)) {
            smtp.command("MAIL FROM:<sender@example.org>");
            long start = System.nanoTime();
            CompletableFuture<String> stuck = CompletableFuture.supplyAsync(() -> {
                try {
                    return smtp.command("RCPT TO:<rcpt@example.net>");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SmtpConversation other = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
                assertThat(other.readReply()).startsWith("220 ");
                assertThat(other.command("HELO other.example")).startsWith("250 ");
                assertThat(other.command("MAIL FROM:<other@example.org>")).startsWith("250 ");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            }
            assertThat(stuck.get()).isEqualTo("451 qmail-spp failure: sleep: timed out (#4.3.0)");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(5));
        }
        long child = Long.parseLong(Files.readString(pids).strip());
        assertThat(Processes.isRunning(child)).as("the plugin's child was killed with its process group").isFalse();
    }

    @Test
    void tenMegabytesOfOutputAreCutAtTheBoundAndWhatCameBeforeCounts(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", PLUGINS.script("chatty",
            "echo 'HX-Before-The-Flood: kept'",
            "head -c 10485760 /dev/zero | tr '\\0' 'x'",
            "echo",
            "echo 'E550 5.7.1 beyond the bound, never read'"));

        try (SmtpConversation smtp = atMail(server)) {
            smtp.command("MAIL FROM:<sender@example.org>");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).isEqualTo("250 2.1.5 Recipient <rcpt@example.net> OK");
            assertThat(smtp.data(MESSAGE)).startsWith("250 ");
        }
        assertThat(NEXT_HOP.awaitMessages(1).get(0).getHeader("X-Before-The-Flood")).containsExactly("kept");
    }

    @Test
    void garbageLinesAreIgnoredAndTheValidOnesStillCount(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[rcpt]", PLUGINS.script("garbage",
            "printf '\\001\\002\\377 binary junk\\n'",
            "echo 'Zno such command'",
            "echo 'Eno reply code'",
            "echo 'E250 not a rejection'",
            "printf 'HX-Injected: a\\rBcc: victim@example.net\\n'",
            "echo 'H no header name'",
            "echo 'Snovalue'",
            "echo 'P250-checked by garbage'",
            "echo 'HX-Clean: yes'"));

        try (SmtpConversation smtp = atMail(server)) {
            smtp.command("MAIL FROM:<sender@example.org>");
            assertThat(smtp.command("RCPT TO:<rcpt@example.net>")).isEqualTo("250-checked by garbage\n250 2.1.5 Recipient <rcpt@example.net> OK");
            assertThat(smtp.data(MESSAGE)).startsWith("250 ");
        }
        String raw = SmtpSink.raw(NEXT_HOP.awaitMessages(1).get(0));
        assertThat(raw).contains("\r\nX-Clean: yes\r\n").doesNotContain("X-Injected", "Bcc", "no header name");
    }

    @Test
    void aPluginTimingOutAtConnectionGivesTheFailureAsGreeting(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[connection]", ":exec sleep 30");

        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).isEqualTo("451 qmail-spp failure: exec: timed out (#4.3.0)");
        }
    }
}
