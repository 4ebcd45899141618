package org.policyrouter.policy.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;

import org.policyrouter.core.check.CheckReport;
import org.policyrouter.core.check.ConfigurationCheck;
import org.policyrouter.policy.PolicyError;
import org.policyrouter.policy.PolicyTables;
import org.policyrouter.policy.RoutingLoops;
import org.policyrouter.policy.UnknownProcessors;
import org.policyrouter.policy.XmlReferences;

/**
 * {@code policy-router check [DIR]}: every error as {@code file:line: message}, exit 0 only when
 * all files are valid and every {@code queue/} next hop names a built-in queue plugin or a
 * processor of James's chain that does not hand mail back to routing.
 *
 * <p>Then the rest of what an operator edits in {@code conf/} (the parent of DIR), each file as
 * the server reads it: the classes and processor names of {@code smtpserver.xml} and
 * {@code mailetcontainer.xml} here, and whatever the {@link ConfigurationCheck}s on the class
 * path check (protocol-hooks: qpsmtpd's plugins file and its control files, smtpplugins).
 * Warnings are printed and leave the exit status 0; any error makes it 1.
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
        int tables = checkTables(arguments);
        int configuration = checkConfiguration(arguments.directory().toAbsolutePath().normalize().getParent(), arguments.mailetContainer());
        return Math.max(tables, configuration);
    }

    private int checkTables(CliArguments arguments) {
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

    /** The files of {@code conf} besides the policy tables; a file that is not there is not checked. */
    private int checkConfiguration(Path conf, Path mailetContainer) {
        if (conf == null) {
            return PolicyRouterCli.OK;
        }
        List<CheckReport> reports = new ArrayList<>();
        ClassLoader classes = CheckCommand.class.getClassLoader();
        reports.add(xml(conf.resolve("smtpserver.xml"), file -> XmlReferences.handlers(file, classes), "handler classes"));
        reports.add(xml(mailetContainer, file -> XmlReferences.mailets(file, classes), "mailet and matcher classes, processor names"));
        for (ConfigurationCheck check : ServiceLoader.load(ConfigurationCheck.class, classes)) {
            reports.add(check.check(conf));
        }
        List<String> errors = new ArrayList<>();
        for (CheckReport report : reports) {
            report.warnings().forEach(err::println);
            report.errors().forEach(err::println);
            errors.addAll(report.errors());
        }
        if (!errors.isEmpty()) {
            err.println(conf + ": " + errors.size() + (errors.size() == 1 ? " error" : " errors"));
            return PolicyRouterCli.INVALID;
        }
        reports.forEach(report -> report.summary().ifPresent(out::println));
        return PolicyRouterCli.OK;
    }

    private interface XmlCheck {
        List<PolicyError> check(Path file) throws IOException;
    }

    private static CheckReport xml(Path file, XmlCheck check, String what) {
        if (!Files.isRegularFile(file)) {
            return CheckReport.skipped();
        }
        List<String> errors = new ArrayList<>();
        try {
            check.check(file).forEach(error -> errors.add(error.toString()));
        } catch (IOException e) {
            errors.add(e.getMessage());
        }
        return CheckReport.of(errors, List.of(), file + ": OK: " + what);
    }
}
