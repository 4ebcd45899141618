package org.policyrouter.policy.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.policyrouter.policy.ByteSize;
import org.policyrouter.policy.PolicyFileReader;
import org.policyrouter.policy.RoutingLoops;

/**
 * The options and operands after the command. The first operand is the policy directory when it
 * names a directory, or contains a '/' and no '@'; otherwise it is the first address, so
 * {@code query user@example.com} uses the default directory.
 */
final class CliArguments {
    private final Path directory;
    private final Optional<String> me;
    private final Optional<String> sender;
    private final boolean json;
    private final long maxTableBytes;
    private final Set<String> routingProcessors;
    private final Optional<Path> mailetContainer;
    private final List<String> operands;

    private CliArguments(Path directory, Optional<String> me, Optional<String> sender, boolean json, long maxTableBytes,
                         Set<String> routingProcessors, Optional<Path> mailetContainer, List<String> operands) {
        this.directory = directory;
        this.me = me;
        this.sender = sender;
        this.json = json;
        this.maxTableBytes = maxTableBytes;
        this.routingProcessors = routingProcessors;
        this.mailetContainer = mailetContainer;
        this.operands = List.copyOf(operands);
    }

    /** @throws IllegalArgumentException for a usage error */
    static CliArguments parse(List<String> args, Path defaultDirectory) {
        Optional<String> me = Optional.empty();
        Optional<String> sender = Optional.empty();
        boolean json = false;
        long maxTableBytes = PolicyFileReader.DEFAULT_MAX_TABLE_BYTES;
        Set<String> routingProcessors = new LinkedHashSet<>(RoutingLoops.DEFAULT_ROUTING_PROCESSORS);
        Optional<Path> mailetContainer = Optional.empty();
        List<String> operands = new ArrayList<>();
        boolean optionsEnded = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (optionsEnded || !arg.startsWith("--")) {
                operands.add(arg);
            } else if (arg.equals("--")) {
                optionsEnded = true;
            } else if (arg.equals("--json")) {
                json = true;
            } else if (arg.equals("--from")) {
                sender = Optional.of(valueOf(args, ++i, arg));
            } else if (arg.equals("--me")) {
                me = Optional.of(valueOf(args, ++i, arg));
            } else if (arg.equals("--max-table-size")) {
                maxTableBytes = ByteSize.parse(valueOf(args, ++i, arg));
            } else if (arg.equals("--routing-processors")) {
                routingProcessors = RoutingLoops.parseProcessors(valueOf(args, ++i, arg));
            } else if (arg.equals("--mailetcontainer")) {
                mailetContainer = Optional.of(Paths.get(valueOf(args, ++i, arg)));
            } else {
                throw new IllegalArgumentException("unknown option '" + arg + "'");
            }
        }
        Path directory = defaultDirectory;
        if (!operands.isEmpty() && looksLikeDirectory(operands.get(0))) {
            directory = Paths.get(operands.remove(0));
        }
        return new CliArguments(directory, me, sender, json, maxTableBytes, routingProcessors, mailetContainer, operands);
    }

    private static boolean looksLikeDirectory(String operand) {
        return (operand.contains("/") && !operand.contains("@")) || Files.isDirectory(Paths.get(operand));
    }

    private static String valueOf(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    Path directory() {
        return directory;
    }

    Optional<String> me() {
        return me;
    }

    Optional<String> sender() {
        return sender;
    }

    boolean json() {
        return json;
    }

    /** {@code --max-table-size}: the size limit per table, as the server's {@code maxTableSize}. */
    long maxTableBytes() {
        return maxTableBytes;
    }

    /** {@code --routing-processors}: the processors a {@code queue/} next hop must not hand mail back to. */
    Set<String> routingProcessors() {
        return routingProcessors;
    }

    /**
     * {@code --mailetcontainer}: James's processor chain, whose processors {@code queue/NAME} may
     * name; by default {@code mailetcontainer.xml} beside the policy directory ({@code conf/}).
     */
    Path mailetContainer() {
        return mailetContainer.orElseGet(() -> directory.toAbsolutePath().normalize().resolveSibling("mailetcontainer.xml"));
    }

    /** Whether {@code --mailetcontainer} was given (a missing default file is only a note). */
    boolean mailetContainerGiven() {
        return mailetContainer.isPresent();
    }

    /** What follows the directory: the addresses of {@code query}. */
    List<String> operands() {
        return operands;
    }
}
