package org.policyrouter.hooks.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.ControlFiles;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.FakeConnection;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/** The limit check on the embedded store: what a client is told, and when. The shared engines are tested in the cluster ITs. */
class ClusterLimitsTest {
    @TempDir
    Path state;

    private final List<ClusterLimits> checks = new ArrayList<>();

    @AfterEach
    void release() {
        checks.forEach(ClusterLimits::release);
    }

    private ClusterLimits limits(String... arguments) {
        List<String> words = new ArrayList<>(List.of(arguments));
        words.addAll(List.of("db_dir", state.toString()));
        ClusterLimits check = new ClusterLimits();
        check.configure(new CheckEnvironment(Options.fromPluginArguments(words, "plugins:3"),
            new ControlFiles(state, Optional.empty(), Duration.ZERO), () -> null, domain -> false, Path::of));
        checks.add(check);
        return check;
    }

    @Test
    void theConnectionOverTheConcurrencyIsRefusedBeforeTheGreetingAndClosed() {
        ClusterLimits check = limits("concurrency", "2");
        FakeConnection first = FakeConnection.from("192.0.2.7");
        FakeConnection second = FakeConnection.from("192.0.2.7");
        assertThat(check.checkConnect(first)).isEqualTo(Verdict.DECLINED);
        assertThat(check.checkConnect(second)).isEqualTo(Verdict.DECLINED);

        Verdict third = check.checkConnect(FakeConnection.from("192.0.2.7"));

        assertThat(third.code()).isEqualTo(ReturnCode.DENYSOFT_DISCONNECT);
        assertThat(third.message()).contains("Too many connections from 192.0.2.7, try again later");
        assertThat(third.connectStage().replyCode(third.code())).isEqualTo("421");
        assertThat(check.checkConnect(FakeConnection.from("192.0.2.8"))).as("another client").isEqualTo(Verdict.DECLINED);
    }

    @Test
    void aClosedConnectionFreesItsSlotAndARefusedOneTakesNone() {
        ClusterLimits check = limits("concurrency", "1");
        FakeConnection first = FakeConnection.from("192.0.2.7");
        check.checkConnect(first);
        FakeConnection refused = FakeConnection.from("192.0.2.7");
        assertThat(check.checkConnect(refused).code()).isEqualTo(ReturnCode.DENYSOFT_DISCONNECT);
        check.checkDisconnect(refused);
        check.checkDisconnect(first);

        assertThat(check.checkConnect(FakeConnection.from("192.0.2.7"))).isEqualTo(Verdict.DECLINED);
    }

    @Test
    void aNetworkPrefixCountsTheWholeNetwork() {
        ClusterLimits check = limits("concurrency", "1", "ipv4_prefix", "24");
        check.checkConnect(FakeConnection.from("192.0.2.7"));

        assertThat(check.checkConnect(FakeConnection.from("192.0.2.200")).code()).isEqualTo(ReturnCode.DENYSOFT_DISCONNECT);
        assertThat(check.checkConnect(FakeConnection.from("192.0.3.1"))).isEqualTo(Verdict.DECLINED);
        assertThat(check.network(FakeConnection.from("2001:db8:1:2:3::9").remoteAddress())).isEqualTo("2001:db8:1:2::/64");
    }

    @Test
    void recipientsBeyondTheRatePerHostAreDeferredOneByOne() {
        ClusterLimits check = limits("rate_rcpt_host", "3/1h");
        FakeConnection client = FakeConnection.from("192.0.2.7").sender("a@client.example");
        for (int i = 0; i < 3; i++) {
            assertThat(check.checkRcpt(client, EnvelopeAddress.parse("r" + i + "@example.net"))).isEqualTo(Verdict.DECLINED);
        }

        Verdict fourth = check.checkRcpt(client, EnvelopeAddress.parse("r4@example.net"));

        assertThat(fourth.code()).isEqualTo(ReturnCode.DENYSOFT);
        assertThat(fourth.statusDetail()).contains("7.1");
        assertThat(fourth.message()).contains("Too many recipients from 192.0.2.7 (limit 3 per 1h), try again later");
        assertThat(check.checkRcpt(FakeConnection.from("192.0.2.8").sender("a@client.example"), EnvelopeAddress.parse("r@example.net")))
            .isEqualTo(Verdict.DECLINED);
    }

    @Test
    void messagesPerSenderCountTheAuthenticatedUserWhateverTheEnvelopeSays() {
        ClusterLimits check = limits("rate_msg_sender", "2/1d");
        assertThat(check.checkMail(FakeConnection.from("192.0.2.7").authenticated("alice"), EnvelopeAddress.parse("a@x.example"))).isEqualTo(Verdict.DECLINED);
        assertThat(check.checkMail(FakeConnection.from("192.0.2.8").authenticated("alice"), EnvelopeAddress.parse("b@y.example"))).isEqualTo(Verdict.DECLINED);

        Verdict third = check.checkMail(FakeConnection.from("192.0.2.9").authenticated("alice"), EnvelopeAddress.parse("c@z.example"));

        assertThat(third.code()).isEqualTo(ReturnCode.DENYSOFT);
        assertThat(third.message()).contains("Too many messages from user alice (limit 2 per 1d), try again later");
        assertThat(check.checkMail(FakeConnection.from("192.0.2.9"), EnvelopeAddress.parse("c@z.example")))
            .as("unauthenticated: the envelope sender counts").isEqualTo(Verdict.DECLINED);
    }

    @Test
    void relayClientsAreExemptFromPerNetworkLimitsUnlessAsked() {
        ClusterLimits exempting = limits("rate_msg_host", "1/1h", "store_prefix", "exempting");
        FakeConnection relay = FakeConnection.from("192.0.2.7").relayClient();
        exempting.checkMail(relay, EnvelopeAddress.parse("a@x.example"));
        assertThat(exempting.checkMail(relay, EnvelopeAddress.parse("a@x.example"))).isEqualTo(Verdict.DECLINED);

        ClusterLimits limiting = limits("rate_msg_host", "1/1h", "limit_relay_clients", "1");
        FakeConnection other = FakeConnection.from("192.0.2.70").relayClient();
        limiting.checkMail(other, EnvelopeAddress.parse("a@x.example"));
        assertThat(limiting.checkMail(other, EnvelopeAddress.parse("a@x.example")).code()).isEqualTo(ReturnCode.DENYSOFT);
    }

    @Test
    void badOptionsNameTheLineAndTheOption() {
        assertThatThrownBy(() -> limits("rate_rcpt_host", "100/hour"))
            .hasMessage("plugins:3: option rate_rcpt_host = \"100/hour\" is not COUNT/WINDOW (e.g. 100/1h; a window of 1s or more) or 0");
        assertThatThrownBy(() -> limits("ipv6_prefix", "129")).hasMessageContaining("ipv6_prefix = \"129\" is not a prefix length from 1 to 128");
        assertThatThrownBy(() -> limits("store_failure", "maybe")).hasMessageContaining("store_failure = \"maybe\" is not accept or tempfail");
        assertThatThrownBy(() -> limits("store", "redis")).hasMessageContaining("redis_url");
        assertThatThrownBy(() -> limits("store", "postgresql", "jdbc_url", "jdbc:h2:mem:x"))
            .hasMessage("plugins:3: option jdbc_url = \"jdbc:h2:mem:x\" is not a PostgreSQL URL (jdbc:postgresql://HOST:5432/DATABASE)");
        assertThatThrownBy(() -> limits("store", "redis", "redis_url", "10.0.0.5:6379"))
            .hasMessageContaining("is not a Redis URL (redis://[:PASSWORD@]HOST:6379/DB)");
    }
}
