package org.policyrouter.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.policyrouter.core.process.UnixAccounts;

/** The {@code transport} table: first matching line wins, found through a {@link FirstMatchIndex}. */
public final class TransportTable {
    public static final TransportTable EMPTY = new TransportTable(List.of());

    private final FirstMatchIndex<TransportRule> index;

    public TransportTable(List<TransportRule> rules) {
        this.index = new FirstMatchIndex<>(rules, TransportRule::destination);
    }

    /**
     * Loads {@code file} on its own (no variables); every broken line is reported, and nothing is
     * returned unless the whole file is valid.
     */
    public static TransportTable load(Path file, Optional<String> ownDomain) throws IOException, PolicyFileException {
        PolicyErrors errors = new PolicyErrors();
        PolicyFile policyFile = PolicyFile.of(file.getFileName().toString(),
            PolicyFileReader.read(file, file.getFileName().toString(), errors));
        TransportTable table = parse(policyFile, VariableTable.EMPTY, ownDomain, errors);
        errors.throwIfAny();
        return table;
    }

    static TransportTable parse(PolicyFile file, VariableTable variables, Optional<String> ownDomain, PolicyErrors errors) {
        List<TransportRule> rules = new ArrayList<>();
        Map<String, Integer> firstLineOf = new HashMap<>();
        // tables of 100,000 rules repeat a few next hops: parse each distinct one once
        Map<String, NextHop> nextHops = new HashMap<>();
        file.parseEach(errors, written -> {
            PolicyLine line = written.withContent(variables.expand(written.content()));
            if (line.fields().size() < 2) {
                throw new IllegalArgumentException("expected 'destination next-hop'");
            }
            AddressPattern destination = AddressPattern.parse(line.fields().get(0));
            String hopText = line.restAfter(1);
            NextHop nextHop = nextHops.get(hopText);
            if (nextHop == null) {
                nextHop = NextHop.parse(hopText, ownDomain);
                nextHop.options().user().ifPresent(TransportTable::checkProgramUser);
                nextHops.put(hopText, nextHop);
            }
            Integer first = firstLineOf.putIfAbsent(destination.identity(), line.number());
            if (first != null) {
                errors.warn(file.name(), line.number(), "duplicate destination '" + destination + "': line " + first
                    + " already matches it, so this line is never used");
                return;
            }
            rules.add(new TransportRule(destination, nextHop, file.name(), line.number()));
        });
        return new TransportTable(rules);
    }

    /**
     * A pipe's {@code user=} must name an existing account that is not root's (uid 0, gid 0),
     * as Postfix's pipe(8) refuses to run as root.
     */
    private static void checkProgramUser(String userAndGroup) {
        try {
            UnixAccounts.system().runAs(userAndGroup);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("user=" + userAndGroup + ": cannot look it up: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("user=" + userAndGroup + ": " + e.getMessage());
        }
    }

    /** The first rule whose destination matches {@code address} ({@code local@domain}), if any. */
    public Optional<TransportRule> lookup(String address) {
        return index.first(address.toLowerCase(Locale.ROOT));
    }

    public List<TransportRule> rules() {
        return index.rules();
    }
}
