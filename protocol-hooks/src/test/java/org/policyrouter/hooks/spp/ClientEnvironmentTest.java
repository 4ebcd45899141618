package org.policyrouter.hooks.spp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.policyrouter.hooks.core.Cidr;

class ClientEnvironmentTest {
    final ClientEnvironment environment = new ClientEnvironment(Map.of("PATH", "/bin", "TARPITCOUNT", "50"), List.of(
        new ClientEnvironment.Rule(Cidr.parseStrictly("10.0.0.0/8"), Map.of("TARPITCOUNT", "5", "RELAYCLIENT", "")),
        new ClientEnvironment.Rule(Cidr.parseStrictly("10.1.2.0/24"), Map.of("NOSPP", "1")),
        new ClientEnvironment.Rule(Cidr.parseStrictly("2001:db8::/32"), Map.of("MAXBOUNCERCPTS", "1"))));

    @Test
    void aClientOutsideEveryNetworkGetsTheGlobalVariables() throws Exception {
        assertThat(environment.forClient(InetAddress.getByName("192.0.2.1"))).isEqualTo(Map.of("PATH", "/bin", "TARPITCOUNT", "50"));
    }

    @Test
    void theMostSpecificNetworkWinsOverTheGlobalVariables() throws Exception {
        assertThat(environment.forClient(InetAddress.getByName("10.9.9.9")))
            .isEqualTo(Map.of("PATH", "/bin", "TARPITCOUNT", "5", "RELAYCLIENT", ""));
        assertThat(environment.forClient(InetAddress.getByName("10.1.2.3")))
            .isEqualTo(Map.of("PATH", "/bin", "TARPITCOUNT", "50", "NOSPP", "1"));
    }

    @Test
    void matchesIpv6Networks() throws Exception {
        assertThat(environment.forClient(InetAddress.getByName("2001:db8::25"))).containsEntry("MAXBOUNCERCPTS", "1");
        assertThat(environment.forClient(InetAddress.getByName("2001:db9::25"))).doesNotContainKey("MAXBOUNCERCPTS");
    }

    @Test
    void networksMatchOnPrefixBits() {
        Cidr network = Cidr.parseStrictly("192.0.2.128/25");

        assertThat(network.contains(address("192.0.2.200"))).isTrue();
        assertThat(network.contains(address("192.0.2.127"))).isFalse();
        assertThat(Cidr.parseStrictly("192.0.2.7").contains(address("192.0.2.7"))).isTrue();
    }

    @Test
    void refusesNamesAndBadPrefixes() {
        assertThatThrownBy(() -> Cidr.parseStrictly("mail.example.com")).hasMessageContaining("mail.example.com");
        assertThatThrownBy(() -> Cidr.parseStrictly("10.0.0.0/33")).hasMessageContaining("not an IP address or CIDR block: 10.0.0.0/33");
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
