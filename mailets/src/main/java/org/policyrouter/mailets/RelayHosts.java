package org.policyrouter.mailets;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.policyrouter.policy.NextHop;
import org.policyrouter.policy.RelayHost;

/** The relay host list as stored in a mail attribute: normalised, so it re-parses without "me". */
final class RelayHosts {
    private RelayHosts() {
    }

    static String format(List<RelayHost> hosts) {
        return hosts.stream().map(RelayHost::toString).collect(Collectors.joining(","));
    }

    static List<RelayHost> parse(String attribute) {
        return NextHop.parseRelayHosts(attribute, Optional.empty());
    }
}
