package org.policyrouter.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a recipient goes: the right-hand side of a transport rule (or the relay host list).
 * The {@link #spec()} is the operator's text, kept verbatim for logs, attributes and
 * {@code policy-router query}.
 */
public final class NextHop {
    public enum Type {
        SMTP, MX, MDA, PIPE, QUEUE, LOCAL, ERROR, DISCARD;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final NextHop MX = new NextHop(Type.MX, "mx", "", List.of());

    private static final Pattern PERMANENT_REPLY = Pattern.compile("5\\.[0-9]{1,3}\\.[0-9]{1,3}( .*)?");
    private static final Pattern PROCESSOR_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private final Type type;
    private final String spec;
    private final String target;
    private final List<RelayHost> relayHosts;
    private final List<String> argv;

    private NextHop(Type type, String spec, String target, List<RelayHost> relayHosts) {
        this(type, spec, target, relayHosts, List.of());
    }

    private NextHop(Type type, String spec, String target, List<RelayHost> relayHosts, List<String> argv) {
        this.type = type;
        this.spec = spec;
        this.target = target;
        this.relayHosts = List.copyOf(relayHosts);
        this.argv = List.copyOf(argv);
    }

    /**
     * Parses a next hop as written in {@code transport} (or {@code relayhost}, which only allows
     * SMTP relay lists).
     *
     * @throws IllegalArgumentException with a message fit for a {@code file:line:} error
     */
    public static NextHop parse(String text, Optional<String> ownDomain) {
        String spec = text.trim();
        if (spec.isEmpty()) {
            throw new IllegalArgumentException("missing next hop");
        }
        String lower = spec.toLowerCase(Locale.ROOT);
        if (lower.equals("mx")) {
            return MX;
        }
        if (lower.equals("local")) {
            return new NextHop(Type.LOCAL, spec, "", List.of());
        }
        if (lower.equals("discard") || lower.startsWith("discard:")) {
            return new NextHop(Type.DISCARD, spec, spec.substring(Math.min(spec.length(), "discard:".length())).trim(), List.of());
        }
        if (lower.startsWith("error:")) {
            String reply = spec.substring("error:".length()).trim();
            if (!PERMANENT_REPLY.matcher(reply).matches()) {
                throw new IllegalArgumentException("error: needs a permanent status code (5.x.y) and text, got '" + reply + "'");
            }
            return new NextHop(Type.ERROR, spec, reply, List.of());
        }
        if (spec.startsWith("|")) {
            String command = spec.substring(1).trim();
            if (command.isEmpty()) {
                throw new IllegalArgumentException("pipe '|' without a command");
            }
            return new NextHop(Type.PIPE, spec, command, List.of(), program(command, "pipe"));
        }
        if (spec.startsWith("/")) {
            return new NextHop(Type.MDA, spec, spec, List.of(), program(spec, "MDA"));
        }
        if (lower.startsWith("queue/")) {
            String processor = spec.substring("queue/".length());
            if (!PROCESSOR_NAME.matcher(processor).matches()) {
                throw new IllegalArgumentException("invalid processor name '" + processor + "' in '" + spec + "'");
            }
            return new NextHop(Type.QUEUE, spec, processor, List.of());
        }
        return new NextHop(Type.SMTP, spec, spec, parseRelayHosts(spec, ownDomain));
    }

    private static List<String> program(String commandLine, String kind) {
        List<String> argv = CommandLine.split(commandLine);
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw new IllegalArgumentException(kind + " next hop without a program: '" + commandLine + "'");
        }
        return argv;
    }

    /** A comma list of relay hosts, as in {@code relayhost} and SMTP transport next hops. */
    public static List<RelayHost> parseRelayHosts(String spec, Optional<String> ownDomain) {
        List<RelayHost> hosts = new ArrayList<>();
        for (String part : spec.split(",", -1)) {
            hosts.add(RelayHost.parse(part, ownDomain));
        }
        return hosts;
    }

    public static NextHop relay(String spec, List<RelayHost> hosts) {
        return new NextHop(Type.SMTP, spec, spec, hosts);
    }

    public Type type() {
        return type;
    }

    /** The next hop exactly as the operator wrote it. */
    public String spec() {
        return spec;
    }

    /** The type-specific part: the command line, the MDA line, the processor name, the error reply. */
    public String target() {
        return target;
    }

    /**
     * For {@link Type#PIPE} and {@link Type#MDA}: the program and its arguments, split like a shell
     * splits words (quotes honoured, nothing expanded). Empty otherwise.
     */
    public List<String> argv() {
        return argv;
    }

    /** For {@link Type#SMTP}: the hosts, in the order to try them. Empty otherwise. */
    public List<RelayHost> relayHosts() {
        return relayHosts;
    }

    /**
     * What a delivery agent needs to know to deliver: recipients whose next hops have the same
     * target go to it together, in one mail (one SMTP transaction), even when different rules or
     * spellings chose it ({@code a.example relay.example:25} and {@code b.example Relay.Example:25});
     * by MX, each recipient domain is a target of its own.
     */
    public Object deliveryTarget(String recipientDomain) {
        switch (type) {
            case SMTP:
                return List.of(type, relayHosts);
            case MX:
                // each domain its own MX hosts, and its own destination for concurrency limits
                return List.of(type, recipientDomain);
            default:
                return List.of(type, argv.isEmpty() ? target : argv);
        }
    }

    @Override
    public String toString() {
        return spec;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NextHop)) {
            return false;
        }
        NextHop other = (NextHop) o;
        return type == other.type && spec.equals(other.spec) && relayHosts.equals(other.relayHosts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, spec, relayHosts);
    }
}
