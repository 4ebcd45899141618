package org.policyrouter.policy.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.Optional;

import org.policyrouter.policy.PolicyError;
import org.policyrouter.policy.PolicyFileException;
import org.policyrouter.policy.PolicyTables;

/** Loads the tables named by the arguments, printing every problem as {@code file:line: message} (warnings too). */
final class TablesLoader {
    private TablesLoader() {
    }

    /** @return empty when the directory is missing, unreadable or invalid; the problems are printed to {@code err} */
    static Optional<PolicyTables> load(CliArguments arguments, PrintStream err) {
        if (!Files.isDirectory(arguments.directory())) {
            err.println(arguments.directory() + ": no such policy directory");
            return Optional.empty();
        }
        try {
            PolicyTables tables = PolicyTables.load(arguments.directory(), arguments.me(), arguments.maxTableBytes());
            // valid, and still worth the operator's eye: lines that are never used
            tables.warnings().forEach(err::println);
            return Optional.of(tables);
        } catch (PolicyFileException e) {
            for (PolicyError error : e.errors()) {
                err.println(error);
            }
            err.println(arguments.directory() + ": " + e.errors().size() + (e.errors().size() == 1 ? " error" : " errors"));
        } catch (IOException e) {
            err.println(arguments.directory() + ": cannot read: " + e);
        }
        return Optional.empty();
    }
}
