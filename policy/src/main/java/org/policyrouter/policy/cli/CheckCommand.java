package org.policyrouter.policy.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.Optional;

import org.policyrouter.policy.PolicyError;
import org.policyrouter.policy.PolicyTables;
import org.policyrouter.policy.RoutingLoops;
import org.policyrouter.policy.UnknownProcessors;

/**
 * {@code policy-router check [DIR]}: every error as {@code file:line: message}, exit 0 only when
 * all files are valid and every {@code queue/} next hop names a built-in queue plugin or a
 * processor of James's chain that does not hand mail back to routing.
 */
final class CheckCommand {
    private final PrintStream out;
    private final PrintStream err;

    CheckCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(CliArguments arguments) {
        if (!arguments.operands().isEmpty()) {
            throw new IllegalArgumentException("check takes one directory, got also " + arguments.operands());
        }
        Optional<PolicyTables> loaded = TablesLoader.load(arguments, err);
        if (loaded.isEmpty()) {
            return PolicyRouterCli.INVALID;
        }
        PolicyTables tables = loaded.get();
        List<PolicyError> loops = new ArrayList<>(RoutingLoops.find(tables, arguments.routingProcessors()));
        Path mailetContainer = arguments.mailetContainer();
        if (Files.exists(mailetContainer) || arguments.mailetContainerGiven()) {
            try {
                loops.addAll(UnknownProcessors.find(tables, UnknownProcessors.processorsOf(mailetContainer), mailetContainer.toString()));
            } catch (IOException e) {
                err.println("cannot read the processors of " + mailetContainer + ": " + e.getMessage());
                return PolicyRouterCli.INVALID;
            }
        } else if (!UnknownProcessors.find(tables, Set.of(), "").isEmpty()) {
            out.println("note: no " + mailetContainer + ", so queue/NAME processors are not checked (--mailetcontainer FILE)");
        }
        loops.sort(Comparator.comparingInt(PolicyError::line));
        if (!loops.isEmpty()) {
            loops.forEach(err::println);
            err.println(arguments.directory() + ": " + loops.size() + (loops.size() == 1 ? " error" : " errors"));
            return PolicyRouterCli.INVALID;
        }
        out.printf("%s: OK: %d variables, %d transport rules, relayhost %s, %d rewrite rules, %d aliases%n",
            arguments.directory(), tables.variables().values().size(), tables.transport().rules().size(),
            tables.relayHost().map(Object::toString).orElse("not set"), tables.rewrite().rules().size(),
            tables.aliases().map(a -> a.size()).orElse(0));
        if (tables.relayHost().isPresent() && !tables.transport().rules().isEmpty()) {
            // valid, but almost certainly not what the operator meant
            out.println("note: relayhost is set, so it takes every recipient and the transport rules are not used");
        }
        return PolicyRouterCli.OK;
    }
}
