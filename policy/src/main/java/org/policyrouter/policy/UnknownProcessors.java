package org.policyrouter.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code queue/NAME} next hops that name neither a built-in queue plugin nor a processor of
 * James's {@code mailetcontainer.xml}: James would send such mail to its {@code error}
 * processor, so {@code policy-router check} and the server's start refuse the rule instead.
 */
public final class UnknownProcessors {
    private UnknownProcessors() {
    }

    /**
     * The {@code state} of every {@code <processor>} in a {@code mailetcontainer.xml}.
     *
     * @throws IOException when the file cannot be read or is not XML
     */
    public static Set<String> processorsOf(Path mailetContainer) throws IOException {
        NodeList processors = XmlFiles.read(mailetContainer).getElementsByTagName("processor");
        Set<String> states = new LinkedHashSet<>();
        for (int i = 0; i < processors.getLength(); i++) {
            String state = ((Element) processors.item(i)).getAttribute("state");
            if (!state.isEmpty()) {
                states.add(state);
            }
        }
        return states;
    }

    /** One {@code transport:N: …} error per {@code queue/NAME} rule whose processor is not in {@code processors}. */
    public static List<PolicyError> find(PolicyTables tables, Set<String> processors, String mailetContainerName) {
        List<PolicyError> unknown = new ArrayList<>();
        if (tables.relayHost().isPresent()) {
            // transport is not used at all
            return unknown;
        }
        for (TransportRule rule : tables.transport().rules()) {
            NextHop nextHop = rule.nextHop();
            if (nextHop.type() == NextHop.Type.QUEUE && !processors.contains(nextHop.target())) {
                unknown.add(new PolicyError(PolicyTables.TRANSPORT, rule.line(), nextHop.spec() + ": no such processor in "
                    + mailetContainerName + " and no built-in queue plugin " + nextHop.target()
                    + " (built-in: " + String.join(", ", NextHop.BUILT_IN_QUEUE_PLUGINS) + ")"));
            }
        }
        return unknown;
    }
}
