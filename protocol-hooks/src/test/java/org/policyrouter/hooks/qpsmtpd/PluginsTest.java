package org.policyrouter.hooks.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.ControlFiles;
import org.policyrouter.hooks.core.Options;

class PluginsTest {
    @TempDir
    Path config;

    @Test
    void loadsEveryImplementedPluginOfAQpsmtpdPluginsFile() throws Exception {
        Files.writeString(config.resolve("plugins"), String.join("\n",
            "hosts_allow", "count_unrecognized_commands 2", "relay", "helo policy lenient", "badmailfrom reject naughty",
            "badrcptto", "naughty reject rcpt",
            "greylisting black_timeout 1 grey_timeout 30 white_timeout 60 db_dir " + config.resolve("greylist"),
            "rcpt_ok", "spamassassin reject_threshold 7", "queue/qmail-queue"));
        Plugins plugins = new Plugins();
        plugins.configure(new CheckEnvironment(Options.empty(), new ControlFiles(config, Optional.empty(), Duration.ofSeconds(1)),
            () -> null, domain -> false, Path::of));

        // spamassassin is not implemented and queue/* is James's: both skipped, the rest in file order
        assertThat(plugins.runningPlugins()).containsExactly("hosts_allow", "count_unrecognized_commands", "relay", "helo",
            "badmailfrom", "badrcptto", "naughty", "greylisting", "rcpt_ok");
    }

    @Test
    void passesOnRcptOksAcceptance() throws Exception {
        Files.writeString(config.resolve("plugins"), "relay\nrcpt_ok\n");
        Files.writeString(config.resolve("rcpthosts"), "bench.example\n");
        Plugins plugins = CheckFixtures.configured(new Plugins(), config);
        org.policyrouter.hooks.core.FakeConnection client = org.policyrouter.hooks.core.FakeConnection.from("127.0.0.1");

        plugins.checkConnect(client);

        assertThat(plugins.checkRcpt(client, org.policyrouter.hooks.core.EnvelopeAddress.parse("user@bench.example")))
            .isEqualTo(org.policyrouter.hooks.core.Verdict.OK);
    }
}
