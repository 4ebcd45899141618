package org.policyrouter.policy.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.policyrouter.policy.PolicyTables;

/**
 * {@code policy-router query [DIR] [--from SENDER] [--json] ADDRESS...}: for each address, the
 * rewritten recipient, the next hop, the rule that chose it and, for an MDA, the alias. An
 * operand {@code -} reads further addresses from standard input, one per line.
 */
final class QueryCommand {
    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;

    QueryCommand(PrintStream out, PrintStream err, InputStream in) {
        this.out = out;
        this.err = err;
        this.in = in;
    }

    int run(CliArguments arguments) {
        if (arguments.operands().isEmpty()) {
            throw new IllegalArgumentException("query needs at least one address");
        }
        Optional<PolicyTables> loaded = TablesLoader.load(arguments, err);
        if (loaded.isEmpty()) {
            return PolicyRouterCli.INVALID;
        }
        DecisionPrinter printer = arguments.json() ? DecisionPrinter.json(out) : DecisionPrinter.text(out);
        for (String address : addresses(arguments.operands())) {
            printer.print(loaded.get().decide(address, arguments.sender()));
        }
        out.flush();
        return PolicyRouterCli.OK;
    }

    private List<String> addresses(List<String> operands) {
        List<String> addresses = new ArrayList<>();
        for (String operand : operands) {
            if (operand.equals("-")) {
                addresses.addAll(standardInput());
            } else {
                addresses.add(unbracketed(operand));
            }
        }
        return addresses;
    }

    private List<String> standardInput() {
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    lines.add(unbracketed(line.strip()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    /** {@code <user@example.com>} as copied from a log or an SMTP transcript. */
    private static String unbracketed(String address) {
        return address.startsWith("<") && address.endsWith(">") ? address.substring(1, address.length() - 1) : address;
    }
}
