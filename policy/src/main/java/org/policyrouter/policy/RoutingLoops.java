package org.policyrouter.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code queue/NAME} next hops that hand mail back to a processor that routes it again: James
 * runs a processor change inside the same call, so {@code queue/transport} recursed until a
 * StackOverflowError, for every such mail, at every start. The server stops such a mail by its
 * hop count ({@code NextHopProcessor}); {@code policy-router check} refuses the rule before it
 * goes live.
 *
 * <p>The policy directory does not know James's processor chain, so the routing processors are
 * named: by default those of the bundled {@code mailetcontainer.xml} — {@code root} (where James
 * starts every mail), {@code transport} (RoutePolicy), {@code routed} (the delivery agents: a
 * mail handed there keeps its {@code queue/} next hop) and {@code deferred} (Defer retries in
 * {@code transport}). James's processor names are case-sensitive, and so is this check.
 */
public final class RoutingLoops {
    public static final List<String> DEFAULT_ROUTING_PROCESSORS = List.of("root", "transport", "routed", "deferred");

    private RoutingLoops() {
    }

    /** {@code root,transport} or {@code root transport}. */
    public static Set<String> parseProcessors(String text) {
        Set<String> processors = Arrays.stream(text.split("[,\\s]+")).filter(name -> !name.isEmpty())
            .collect(Collectors.toCollection(LinkedHashSet::new));
        if (processors.isEmpty()) {
            throw new IllegalArgumentException("no routing processor named in '" + text + "'");
        }
        return processors;
    }

    /** One {@code transport:N: …} error per rule whose next hop is {@code queue/} to a routing processor. */
    public static List<PolicyError> find(PolicyTables tables, Set<String> routingProcessors) {
        List<PolicyError> loops = new ArrayList<>();
        if (tables.relayHost().isPresent()) {
            // transport is not used at all
            return loops;
        }
        for (TransportRule rule : tables.transport().rules()) {
            NextHop nextHop = rule.nextHop();
            if (nextHop.type() == NextHop.Type.QUEUE && routingProcessors.contains(nextHop.target())) {
                loops.add(new PolicyError(PolicyTables.TRANSPORT, rule.line(), "next hop '" + nextHop.spec()
                    + "' hands the mail back to the routing processor '" + nextHop.target() + "', which routes it here again:"
                    + " a routing loop (routing processors: " + String.join(", ", routingProcessors) + ")"));
            }
        }
        return loops;
    }
}
