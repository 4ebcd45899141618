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
        SMTP, MX, MDA, PIPE, QUEUE, LOCAL, ERROR, DISCARD,
        /** qpsmtpd's {@code queue/maildir}. */
        MAILDIR,
        /** qpsmtpd's {@code queue/qmail-queue}. */
        QMAIL_QUEUE,
        /** {@code queue/qmqp-forward}: QMQP, as qmail-qmqpc speaks it. */
        QMQP;

        /** As {@code NextHopIs} and the logs name it: {@code smtp}, {@code qmail-queue}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * The qpsmtpd queue plugins understood as next hops of their own; any other
     * {@code queue/NAME} names the James processor NAME.
     */
    public static final List<String> BUILT_IN_QUEUE_PLUGINS = List.of("maildir", "qmail-queue", "smtp-forward", "qmqp-forward");
    /** qmail-queue's place in a qmail installation, as qpsmtpd's plugin assumes. */
    public static final String QMAIL_QUEUE = "/var/qmail/bin/qmail-queue";
    /** The QMQP port (qmail-qmqpc, Postfix's qmqpd). */
    public static final int QMQP_PORT = 628;

    public static final NextHop MX = new NextHop(Type.MX, "mx", "", List.of());

    private static final Pattern PERMANENT_REPLY = Pattern.compile("5\\.[0-9]{1,3}\\.[0-9]{1,3}( .*)?");
    private static final Pattern PROCESSOR_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private final Type type;
    private final String spec;
    private final String target;
    private final List<RelayHost> relayHosts;
    private final List<String> argv;
    private final NextHopOptions options;

    private NextHop(Type type, String spec, String target, List<RelayHost> relayHosts) {
        this(type, spec, target, relayHosts, List.of());
    }

    private NextHop(Type type, String spec, String target, List<RelayHost> relayHosts, List<String> argv) {
        this(type, spec, target, relayHosts, argv, NextHopOptions.NONE);
    }

    private NextHop(Type type, String spec, String target, List<RelayHost> relayHosts, List<String> argv, NextHopOptions options) {
        this.type = type;
        this.spec = spec;
        this.target = target;
        this.relayHosts = List.copyOf(relayHosts);
        this.argv = List.copyOf(argv);
        this.options = options;
    }

    /**
     * Parses a next hop as written in {@code transport} (or {@code relayhost}, which only allows
     * SMTP relay lists).
     *
     * @throws IllegalArgumentException with a message fit for a {@code file:line:} error
     */
    public static NextHop parse(String text, Optional<String> ownDomain) {
        NextHopOptions options = NextHopOptions.parse(text);
        NextHop nextHop = parseWithoutOptions(options.rest(), ownDomain);
        if (options.isEmpty()) {
            return nextHop;
        }
        if (options.user().isPresent() && nextHop.type != Type.PIPE) {
            throw new IllegalArgumentException("user= is for pipe next hops (an MDA runs as the recipient's unix user), not " + nextHop.type.label());
        }
        if (options.tls().isPresent() && nextHop.type != Type.SMTP && nextHop.type != Type.MX) {
            throw new IllegalArgumentException("tls= is for SMTP and MX next hops, not " + nextHop.type.label());
        }
        return new NextHop(nextHop.type, text.trim(), nextHop.target, nextHop.relayHosts, nextHop.argv, options);
    }

    private static NextHop parseWithoutOptions(String text, Optional<String> ownDomain) {
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
            return queue(spec, ownDomain);
        }
        return new NextHop(Type.SMTP, spec, spec, parseRelayHosts(spec, ownDomain));
    }

    /**
     * {@code queue/NAME [ARGUMENTS]}: one of qpsmtpd's queue plugins, with its arguments as in
     * qpsmtpd's {@code plugins} file, or (without arguments) the James processor NAME.
     */
    private static NextHop queue(String spec, Optional<String> ownDomain) {
        List<String> words = CommandLine.split(spec.substring("queue/".length()));
        String name = words.isEmpty() ? "" : words.get(0);
        List<String> arguments = words.isEmpty() ? List.of() : words.subList(1, words.size());
        switch (name) {
            case "maildir":
                MaildirLocation.parse(arguments);
                return new NextHop(Type.MAILDIR, spec, String.join(" ", arguments), List.of(), arguments);
            case "qmail-queue":
                if (arguments.size() > 1) {
                    throw new IllegalArgumentException("queue/qmail-queue takes one argument, the program, got " + arguments);
                }
                String program = arguments.isEmpty() ? QMAIL_QUEUE : arguments.get(0);
                if (!program.startsWith("/")) {
                    throw new IllegalArgumentException("queue/qmail-queue needs an absolute path, got '" + program + "'");
                }
                return new NextHop(Type.QMAIL_QUEUE, spec, program, List.of(), List.of(program));
            case "smtp-forward":
                return new NextHop(Type.SMTP, spec, spec, List.of(forwardHost(spec, arguments, ownDomain)));
            case "qmqp-forward":
                if (arguments.isEmpty()) {
                    throw new IllegalArgumentException("queue/qmqp-forward needs a server: HOST[:PORT], several separated by commas or spaces");
                }
                List<RelayHost> servers = new ArrayList<>();
                // qmail's qmqpservers is one per line; here commas, spaces or both
                for (String part : String.join(",", arguments).split(",+")) {
                    if (!part.isEmpty()) {
                        servers.add(RelayHost.parse(part, ownDomain, QMQP_PORT));
                    }
                }
                return new NextHop(Type.QMQP, spec, spec, servers);
            default:
                if (!arguments.isEmpty() || !PROCESSOR_NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException("invalid processor name '" + spec.substring("queue/".length()) + "' in '" + spec
                        + "' (built-in queue plugins: " + String.join(", ", BUILT_IN_QUEUE_PLUGINS) + ")");
                }
                return new NextHop(Type.QUEUE, spec, name, List.of());
        }
    }

    /** qpsmtpd's {@code queue/smtp-forward HOST [PORT]}, or the router's {@code HOST:PORT}. */
    private static RelayHost forwardHost(String spec, List<String> arguments, Optional<String> ownDomain) {
        if (arguments.size() == 2 && arguments.get(1).matches("[0-9]{1,5}")) {
            return RelayHost.parse(arguments.get(0) + ":" + arguments.get(1), ownDomain);
        }
        if (arguments.size() != 1) {
            throw new IllegalArgumentException("queue/smtp-forward needs one server, HOST[:PORT] or HOST PORT, in '" + spec + "'");
        }
        return RelayHost.parse(arguments.get(0), ownDomain);
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
     * For {@link Type#PIPE}, {@link Type#MDA} and {@link Type#QMAIL_QUEUE}: the program and its
     * arguments, split like a shell splits words (quotes honoured, nothing expanded); for
     * {@link Type#MAILDIR} its arguments ({@link MaildirLocation}). Empty otherwise.
     */
    public List<String> argv() {
        return argv;
    }

    /** The {@code user=} and {@code tls=} words the next hop started with. */
    public NextHopOptions options() {
        return options;
    }

    /** For {@link Type#SMTP} and {@link Type#QMQP}: the hosts, in the order to try them. Empty otherwise. */
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
            case QMQP:
                return List.of(type, relayHosts, options.identity());
            case MX:
                // each domain its own MX hosts, and its own destination for concurrency limits
                return List.of(type, recipientDomain, options.identity());
            default:
                return List.of(type, argv.isEmpty() ? target : argv, options.identity());
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
