package org.policyrouter.hooks.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class IpListTest {
    private static IpList list(boolean cidr, String... entries) {
        List<ControlLine> lines = Stream.of(entries).map(e -> new ControlLine(e, Path.of("relayclients"), 1)).collect(Collectors.toList());
        return IpList.parse(lines, cidr);
    }

    private static boolean has(IpList list, String ip) {
        return list.contains(IpAddresses.parse(ip).orElseThrow());
    }

    @Test
    void matchesFullAddressesAndPrefixesEndingInADot() {
        IpList list = list(true, "192.0.2.7", "198.51.100.");
        assertThat(has(list, "192.0.2.7")).isTrue();
        assertThat(has(list, "192.0.2.8")).isFalse();
        assertThat(has(list, "198.51.100.200")).isTrue();
        assertThat(has(list, "198.51.10.1")).isFalse();
    }

    @Test
    void cidrBlocksIncludeTheirFirstAndLastAddress() {
        IpList list = list(true, "10.1.0.0/24");
        assertThat(has(list, "10.1.0.0")).isTrue();
        assertThat(has(list, "10.1.0.255")).isTrue();
        assertThat(has(list, "10.1.1.0")).isFalse();
    }

    @Test
    void ipv6PrefixesAndBlocksMatchWhateverTheNotation() {
        IpList list = list(true, "2001:db8:e431:ae06:", "2001:db8:1::/48", "::1");
        assertThat(has(list, "2001:0db8:e431:ae06::25")).isTrue();
        assertThat(has(list, "2001:db8:1:ffff::1")).isTrue();
        assertThat(has(list, "0:0:0:0:0:0:0:1")).isTrue();
        assertThat(has(list, "2001:db8:2::1")).isFalse();
    }

    @Test
    void refusesCidrWhereQpsmtpdDoesNotAllowIt() {
        assertThatThrownBy(() -> list(false, "10.0.0.0/8")).hasMessageContaining("CIDR blocks are not allowed");
    }

    @Test
    void reversesAddressesForDnsLists() {
        assertThat(IpAddresses.reversed(IpAddresses.parse("192.0.2.1").orElseThrow())).isEqualTo("1.2.0.192");
        assertThat(IpAddresses.reversed(IpAddresses.parse("2001:db8::1").orElseThrow()))
            .isEqualTo("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2");
        assertThat(IpAddresses.fromPtrName("1.2.0.192.in-addr.arpa.")).isEqualTo(IpAddresses.parse("192.0.2.1"));
        assertThat(IpAddresses.toText(IpAddresses.parse("2001:0db8:0:0:0:0:0:1").orElseThrow())).isEqualTo("2001:db8::1");
    }
}
