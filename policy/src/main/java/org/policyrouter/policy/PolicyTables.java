package org.policyrouter.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The router's tables from one policy directory, loaded together so that a reader never sees
 * one file's new version with another's old one.
 */
public final class PolicyTables {
    public static final String TRANSPORT = "transport";
    public static final String RELAYHOST = "relayhost";

    private final TransportTable transport;
    private final Optional<NextHop> relayHost;

    public PolicyTables(TransportTable transport, Optional<NextHop> relayHost) {
        this.transport = transport;
        this.relayHost = relayHost;
    }

    /**
     * Loads every table present in {@code directory}; a missing file is an empty table. All errors
     * of all files are reported together.
     *
     * @param ownDomain the server's own domain ("me"), appended to relay host names without a dot
     */
    public static PolicyTables load(Path directory, Optional<String> ownDomain) throws IOException, PolicyFileException {
        List<PolicyError> errors = new ArrayList<>();
        TransportTable transport = TransportTable.EMPTY;
        Path transportFile = directory.resolve(TRANSPORT);
        if (Files.exists(transportFile)) {
            try {
                transport = TransportTable.load(transportFile, ownDomain);
            } catch (PolicyFileException e) {
                errors.addAll(e.errors());
            }
        }
        Optional<NextHop> relayHost = Optional.empty();
        Path relayHostFile = directory.resolve(RELAYHOST);
        if (Files.exists(relayHostFile)) {
            relayHost = loadRelayHost(relayHostFile, ownDomain, errors);
        }
        if (!errors.isEmpty()) {
            throw new PolicyFileException(errors);
        }
        return new PolicyTables(transport, relayHost);
    }

    private static Optional<NextHop> loadRelayHost(Path file, Optional<String> ownDomain, List<PolicyError> errors) throws IOException {
        List<PolicyLine> lines = PolicyFileReader.read(file, RELAYHOST, errors);
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        for (PolicyLine extra : lines.subList(1, lines.size())) {
            errors.add(new PolicyError(RELAYHOST, extra.number(), "relayhost takes one line (a comma list of hosts); already set on line " + lines.get(0).number()));
        }
        PolicyLine line = lines.get(0);
        if (line.fields().size() != 1) {
            errors.add(new PolicyError(RELAYHOST, line.number(), "expected one comma list of hosts without spaces"));
            return Optional.empty();
        }
        try {
            String spec = line.fields().get(0);
            return Optional.of(NextHop.relay(spec, NextHop.parseRelayHosts(spec, ownDomain)));
        } catch (IllegalArgumentException e) {
            errors.add(new PolicyError(RELAYHOST, line.number(), e.getMessage()));
            return Optional.empty();
        }
    }

    /**
     * Where {@code address} goes: the relay host when one is set (it has precedence over
     * transport, as the router spec says), else the first matching transport rule, else MX.
     */
    public Route resolve(String address) {
        if (relayHost.isPresent()) {
            return new Route(relayHost.get(), Route.RELAYHOST_RULE);
        }
        return transport.lookup(address)
            .map(rule -> new Route(rule.nextHop(), rule.ruleName()))
            .orElse(new Route(NextHop.MX, Route.DEFAULT_RULE));
    }

    public TransportTable transport() {
        return transport;
    }

    public Optional<NextHop> relayHost() {
        return relayHost;
    }
}
