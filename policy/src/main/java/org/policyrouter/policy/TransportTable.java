package org.policyrouter.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The {@code transport} table: first matching line wins. */
public final class TransportTable {
    public static final TransportTable EMPTY = new TransportTable(List.of());

    private final List<TransportRule> rules;

    public TransportTable(List<TransportRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * Loads {@code file}; every broken line is reported, and nothing is returned unless the whole
     * file is valid.
     */
    public static TransportTable load(Path file, Optional<String> ownDomain) throws IOException, PolicyFileException {
        String name = file.getFileName().toString();
        List<PolicyError> errors = new ArrayList<>();
        List<TransportRule> rules = new ArrayList<>();
        for (PolicyLine line : PolicyFileReader.read(file, name, errors)) {
            if (line.fields().size() < 2) {
                errors.add(new PolicyError(name, line.number(), "expected 'destination next-hop'"));
                continue;
            }
            try {
                AddressPattern destination = AddressPattern.parse(line.fields().get(0));
                NextHop nextHop = NextHop.parse(line.restAfter(1), ownDomain);
                if (nextHop.type() == NextHop.Type.SMTP && line.fields().size() > 2) {
                    throw new IllegalArgumentException("relay host list must not contain spaces: '" + line.restAfter(1) + "'");
                }
                rules.add(new TransportRule(destination, nextHop, name, line.number()));
            } catch (IllegalArgumentException e) {
                errors.add(new PolicyError(name, line.number(), e.getMessage()));
            }
        }
        if (!errors.isEmpty()) {
            throw new PolicyFileException(errors);
        }
        return new TransportTable(rules);
    }

    /** The first rule whose destination matches {@code address} ({@code local@domain}), if any. */
    public Optional<TransportRule> lookup(String address) {
        String lower = address.toLowerCase(Locale.ROOT);
        for (TransportRule rule : rules) {
            if (rule.destination().matches(lower)) {
                return Optional.of(rule);
            }
        }
        return Optional.empty();
    }

    public List<TransportRule> rules() {
        return rules;
    }
}
