package org.policyrouter.hooks.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.ControlFiles;
import org.policyrouter.hooks.core.Options;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

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
    void warnsNamingEachUnsupportedPluginAndItsLineButNotThoseJamesCovers() throws Exception {
        Path plugins = config.resolve("plugins");
        Files.writeString(plugins, "badrcptto\nspamassassin reject_threshold 7\nqueue/qmail-queue\ntls\nvirus/clamdscan\nauth/auth_flat_file\n");
        ListAppender<ILoggingEvent> log = capture();
        try {
            CheckFixtures.configured(new Plugins(), config);
        } finally {
            ((Logger) LoggerFactory.getLogger(Plugins.class)).detachAppender(log);
        }

        assertThat(log.list.stream().filter(event -> event.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage))
            .containsExactly(
                "qpsmtpd plugins: " + plugins + ":2: spamassassin is not implemented here and is skipped: what it does is not done "
                    + "(<unsupportedPlugins>refuse</unsupportedPlugins> makes this an error)",
                "qpsmtpd plugins: " + plugins + ":5: virus/clamdscan is not implemented here and is skipped: what it does is not done "
                    + "(<unsupportedPlugins>refuse</unsupportedPlugins> makes this an error)");
    }

    @Test
    void refusesToStartWithAnUnsupportedPluginWhenAskedTo() throws Exception {
        Path plugins = config.resolve("plugins");
        Files.writeString(plugins, "badrcptto\nqueue/qmail-queue\nspamassassin\n");
        BaseHierarchicalConfiguration handler = new BaseHierarchicalConfiguration();
        handler.addProperty("configDir", config.toString());
        handler.addProperty("fallbackDir", "none");
        handler.addProperty("unsupportedPlugins", "refuse");

        assertThatThrownBy(() -> new Plugins().init(handler))
            .isInstanceOf(ConfigurationException.class)
            .hasMessage("org.policyrouter.hooks.qpsmtpd.Plugins: plugins file not usable: " + plugins
                + ":3: spamassassin is not implemented here, and unsupportedPlugins is refuse: remove the line, or configure what it does in James");
    }

    @Test
    void withRefuseAnEditAddingAnUnsupportedPluginKeepsThePreviousChecks() throws Exception {
        Files.writeString(config.resolve("plugins"), "badrcptto\n");
        Plugins plugins = CheckFixtures.configured(new Plugins(), config, "unsupportedPlugins", "refuse");

        Files.writeString(config.resolve("plugins"), "badrcptto\nrcpt_ok\nvirus/clamdscan\n");

        assertThat(plugins.runningPlugins()).containsExactly("badrcptto");
    }

    @Test
    void unsupportedPluginsIsWarnOrRefuse() throws Exception {
        Files.writeString(config.resolve("plugins"), "badrcptto\n");

        assertThatThrownBy(() -> CheckFixtures.configured(new Plugins(), config, "unsupportedPlugins", "ignore"))
            .hasMessageContaining("option unsupportedPlugins = \"ignore\" is not warn or refuse");
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(Plugins.class)).addAppender(appender);
        return appender;
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
