package org.policyrouter.policy.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;

/**
 * {@code bin/policy-router}: {@code check} validates a policy directory, {@code query} shows what
 * the router would do with addresses (Postfix's {@code postfix check} and {@code postmap -q}),
 * {@code config} what the configuration files set ({@code postconf -n}). The queue commands are
 * {@code org.policyrouter.spool.cli.QueueCli}'s.
 * Exit status: 0 fine (warnings are printed), 1 invalid tables or configuration files (or unreadable
 * directory), 2 wrong usage.
 */
public final class PolicyRouterCli {
    /** Set by the launcher to the distribution folder, which holds the default {@code conf/policy}. */
    static final String HOME_PROPERTY = "policy.router.home";
    private static final String LOGBACK_CONFIGURATION = "logback.configurationFile";
    static final int OK = 0;
    static final int INVALID = 1;
    static final int USAGE = 2;

    static final String USAGE_TEXT = String.join("\n",
        "usage: policy-router check [--me DOMAIN] [--max-table-size SIZE] [--routing-processors P1,P2...] [--mailetcontainer FILE] [DIR]",
        "       policy-router query [--me DOMAIN] [--max-table-size SIZE] [DIR] [--from SENDER] [--json] ADDRESS... (or - to read addresses from stdin)",
        "       policy-router config [CONF]      what the configuration files set (postconf -n): CONF defaults to conf/ of the distribution",
        "       policy-router mailq|show|flush|requeue|hold|release|delete ...   the running server's queue (see docs/spool.md)",
        "       policy-router token [--ttl 10m]   a WebAdmin token for curl (see docs/webadmin.md)",
        "  DIR      the policy directory (default: conf/policy of the distribution); check also checks its parent conf/:",
        "           smtpserver.xml and mailetcontainer.xml (our classes, processor names), qpsmtpd's plugins file and the",
        "           control files its plugins read, smtpplugins (its programs): errors as file:line: message, exit 1",
        "  --me     the server's own domain, appended to relay host names without a dot",
        "  --max-table-size  refuse a table file bigger than SIZE (default 16m, as the server's maxTableSize)",
        "  --routing-processors  processors a queue/ next hop must not hand mail back to (default root,transport,routed,deferred)",
        "  --mailetcontainer     James's processor chain: queue/NAME must name one of its processors (default DIR/../mailetcontainer.xml)",
        "  --from   also show how SENDER is rewritten",
        "  --json   one JSON object per address: address, rewritten, type, target, rule, ...");

    private PolicyRouterCli() {
    }

    public static void main(String[] args) {
        // check configures the SMTP handlers' parsers, which log what they reject (James's logback is on
        // the class path): check prints the same as file:line, so a second copy on the console is noise
        if (System.getProperty(LOGBACK_CONFIGURATION) == null) {
            System.setProperty(LOGBACK_CONFIGURATION, "org/policyrouter/policy/cli/quiet-logback.xml");
        }
        System.exit(run(Arrays.asList(args), System.in, System.out, System.err));
    }

    static int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.contains("-h") || args.contains("--help")) {
            (args.isEmpty() ? err : out).println(USAGE_TEXT);
            return args.isEmpty() ? USAGE : OK;
        }
        if (args.get(0).equals("config")) {
            if (args.size() > 2) {
                err.println("policy-router: config takes one directory");
                return USAGE;
            }
            return new ConfigCommand(out, err).run(args.size() == 2 ? Paths.get(args.get(1)) : defaultDirectory().getParent());
        }
        try {
            CliArguments arguments = CliArguments.parse(args.subList(1, args.size()), defaultDirectory());
            switch (args.get(0)) {
                case "check":
                    return new CheckCommand(out, err).run(arguments);
                case "query":
                    return new QueryCommand(out, err, in).run(arguments);
                default:
                    throw new IllegalArgumentException("unknown command '" + args.get(0) + "'");
            }
        } catch (IllegalArgumentException e) {
            err.println("policy-router: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }
    }

    private static Path defaultDirectory() {
        String home = System.getProperty(HOME_PROPERTY);
        return home == null ? Paths.get("conf", "policy") : Paths.get(home, "conf", "policy");
    }
}
