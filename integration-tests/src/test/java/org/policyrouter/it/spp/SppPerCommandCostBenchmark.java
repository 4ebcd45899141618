package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.hooks.spp.PluginLine;
import org.policyrouter.hooks.spp.PluginRunner;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;

/**
 * Measures what a trivial plugin costs per SMTP command (docs/qmail-spp.md quotes the numbers):
 * RCPT commands without any plugin, with a compiled plugin that prints nothing, and with the
 * same as a shell line; and the process start alone, with and without setsid. The bound asserted
 * is loose (shared CI machines); the numbers go to target/spp-per-command-cost.txt.
 */
class SppPerCommandCostBenchmark {
    static final int WARM_UP = 100;
    static final int COMMANDS = 300;
    static final SppPlugins PLUGINS = SppPlugins.create();
    static final String NOOP = PLUGINS.compile("noop");

    @RegisterExtension
    static JamesServerExtension james = PLUGINS.configure(PolicyRouterJames.builder(), xml -> xml).build();

    @Test
    void aTrivialPluginCostsAFewMillisecondsPerCommand(GuiceJamesServer server) throws Exception {
        Map<String, Duration> perCommand = new LinkedHashMap<>();
        perCommand.put("RCPT, no plugin", rcptTime(server, "[connection]"));
        perCommand.put("RCPT, compiled plugin (plugins/noop)", rcptTime(server, "[rcpt]", NOOP));
        perCommand.put("RCPT, shell line (:true)", rcptTime(server, "[rcpt]", ":true"));
        perCommand.put("RCPT, two compiled plugins", rcptTime(server, "[rcpt]", NOOP, NOOP));
        perCommand.put("process start alone, setsid", runnerTime(Optional.of(Path.of("/usr/bin/setsid"))));
        perCommand.put("process start alone, no setsid", runnerTime(Optional.empty()));

        StringBuilder report = new StringBuilder("spp per-command cost (mean of " + COMMANDS + ", after " + WARM_UP + " to warm up)\n");
        perCommand.forEach((what, time) -> report.append(String.format("%-40s %7.3f ms%n", what, time.toNanos() / 1e6)));
        System.out.print(report);
        Files.writeString(Path.of("target/spp-per-command-cost.txt"), report);

        Duration added = perCommand.get("RCPT, compiled plugin (plugins/noop)").minus(perCommand.get("RCPT, no plugin"));
        assertThat(added).isLessThan(Duration.ofMillis(50));
    }

    private static Duration rcptTime(GuiceJamesServer server, String... smtpplugins) throws Exception {
        PLUGINS.smtpplugins(smtpplugins);
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            smtp.readReply();
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).startsWith("250 ");
            for (int i = 0; i < WARM_UP; i++) {
                assertThat(smtp.command("RCPT TO:<warm" + i + "@example.net>")).startsWith("250 ");
            }
            long start = System.nanoTime();
            for (int i = 0; i < COMMANDS; i++) {
                assertThat(smtp.command("RCPT TO:<r" + i + "@example.net>")).startsWith("250 ");
            }
            return Duration.ofNanos((System.nanoTime() - start) / COMMANDS);
        }
    }

    private static Duration runnerTime(Optional<Path> setsid) {
        try (PluginRunner runner = new PluginRunner(PLUGINS.home(), Duration.ofSeconds(10), 65536, setsid,
            org.policyrouter.core.process.UnixAccounts.system().runAs("nobody"), (plugin, line) -> { })) {
            PluginLine plugin = new PluginLine(NOOP, "cost");
            Map<String, String> environment = Map.of("PATH", "/usr/bin:/bin");
            for (int i = 0; i < WARM_UP; i++) {
                runner.run(plugin, environment);
            }
            long start = System.nanoTime();
            for (int i = 0; i < COMMANDS; i++) {
                runner.run(plugin, environment);
            }
            return Duration.ofNanos((System.nanoTime() - start) / COMMANDS);
        }
    }
}
