package org.policyrouter.hooks.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.FakeConnection;

/** The relay decisions as the qmail-spp handler asks for them, through the plugins file or a check alone. */
class RelayControlTest {
    @TempDir
    Path config;

    @Test
    void theRelayDecisionIsTakenOnceWhoeverAsksFirst() throws Exception {
        Files.writeString(config.resolve("plugins"), "relay\nrcpt_ok\n");
        Files.writeString(config.resolve("relayclients"), "192.0.2.0/24\n");
        Plugins plugins = CheckFixtures.configured(new Plugins(), config);
        FakeConnection client = FakeConnection.from("192.0.2.9");

        plugins.decideRelay(client);
        assertThat(client.isRelayClient()).isTrue();

        // the relay check's own connect hook, later in the chain, finds the decision taken
        client.setRelayClient(false);
        plugins.checkConnect(client);
        assertThat(client.isRelayClient()).isFalse();
    }

    @Test
    void norelayclientsWithdrawsWhatJamesGrantedBeforeAnyPluginRuns() throws Exception {
        Files.writeString(config.resolve("norelayclients"), "192.0.2.9\n");
        Relay relay = CheckFixtures.configured(new Relay(), config);
        FakeConnection client = FakeConnection.from("192.0.2.9").relayClient();

        relay.decideRelay(client);

        assertThat(client.isRelayClient()).isFalse();
    }

    @Test
    void rcpthostsAndMorercpthostsAreRcptHostsThroughThePluginsFile() throws Exception {
        Files.writeString(config.resolve("plugins"), "relay\nrcpt_ok\n");
        Files.writeString(config.resolve("rcpthosts"), "backup.example\n.sub.example\n");
        Files.writeString(config.resolve("morercpthosts"), "more.example\n");
        Plugins plugins = CheckFixtures.configured(new Plugins(), config);

        assertThat(plugins.isRcptHost("backup.example")).isTrue();
        assertThat(plugins.isRcptHost("a.sub.example")).isTrue();
        assertThat(plugins.isRcptHost("more.example")).isTrue();
        assertThat(plugins.isRcptHost("foreign.example")).isFalse();
    }

    @Test
    void withoutRcptOkInThePluginsFileNoDomainIsAnRcptHost() throws Exception {
        Files.writeString(config.resolve("plugins"), "relay\n");
        Files.writeString(config.resolve("rcpthosts"), "backup.example\n");

        assertThat(CheckFixtures.configured(new Plugins(), config).isRcptHost("backup.example")).isFalse();
    }
}
