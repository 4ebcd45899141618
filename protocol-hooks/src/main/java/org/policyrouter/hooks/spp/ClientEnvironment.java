package org.policyrouter.hooks.spp;

import java.net.InetAddress;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.policyrouter.hooks.core.Cidr;

/**
 * The variables tcpserver's rules file would give a client: some for everyone, more per client
 * network. Like a tcprules lookup (which tries the longest address prefix first), the most
 * specific network holding the client wins; its variables override the global ones.
 */
public final class ClientEnvironment {
    /** One {@code <client network="...">} block. */
    public static final class Rule {
        private final Cidr network;
        private final Map<String, String> variables;

        public Rule(Cidr network, Map<String, String> variables) {
            this.network = network;
            this.variables = Map.copyOf(variables);
        }
    }

    private final Map<String, String> global;
    private final List<Rule> rules;

    public ClientEnvironment(Map<String, String> global, List<Rule> rules) {
        this.global = Map.copyOf(global);
        this.rules = List.copyOf(rules);
    }

    public Map<String, String> forClient(InetAddress client) {
        Map<String, String> environment = new LinkedHashMap<>(global);
        rules.stream()
            .filter(rule -> rule.network.contains(client))
            .max(Comparator.comparingInt(rule -> rule.network.prefixLength()))
            .ifPresent(rule -> environment.putAll(rule.variables));
        return environment;
    }
}
