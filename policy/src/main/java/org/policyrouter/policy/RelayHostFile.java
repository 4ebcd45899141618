package org.policyrouter.policy;

import java.util.Optional;

/**
 * The {@code relayhost} file: one line, the relay host list, written bare ({@code [::1]:2425}) or
 * as in the router spec ({@code relayhost mx.foo.bar,mx.backup.foo.bar}). White space after the
 * commas is allowed.
 */
final class RelayHostFile {
    private static final String KEYWORD = "relayhost";

    private RelayHostFile() {
    }

    static Optional<NextHop> parse(PolicyFile file, Optional<String> ownDomain, PolicyErrors errors) {
        if (file.lines().isEmpty()) {
            return Optional.empty();
        }
        int firstLine = file.lines().get(0).number();
        NextHop[] relay = new NextHop[1];
        file.parseEach(errors, line -> {
            if (line.number() != firstLine) {
                throw new IllegalArgumentException("relayhost takes one line (a comma list of hosts); already set on line " + firstLine);
            }
            String spec = line.fields().get(0).equalsIgnoreCase(KEYWORD) ? line.restAfter(1) : line.content();
            if (spec.isEmpty()) {
                throw new IllegalArgumentException("expected a comma list of hosts after 'relayhost'");
            }
            relay[0] = NextHop.relay(spec, NextHop.parseRelayHosts(spec, ownDomain));
        });
        return Optional.ofNullable(relay[0]);
    }
}
