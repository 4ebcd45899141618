package org.policyrouter.spool.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The queue commands of {@code bin/policy-router}, on the running server through its WebAdmin
 * ({@code /spool/queues} routes; address from {@code conf/webadmin.properties}, or
 * {@code --webadmin URL}), as Postfix's postqueue and postsuper work on a running Postfix:
 *
 * <pre>
 * policy-router mailq [--domain D] [--json]       the queue: ID, state, arrival, sender, recipients, last error; totals by domain
 * policy-router show ID [--json]                  one message's mails (a message split by next hop has several), then the message
 * policy-router flush [ID | --domain D]           try now (postqueue -f / -s / -i)
 * policy-router requeue [ID | --domain D]         after a policy change (postsuper -r): every retry is routed by the
 *                                                 current tables, so this is a flush that says so
 * policy-router hold ID | --domain D              keep from delivery until released (postsuper -h)
 * policy-router release ID | --domain D           (postsuper -H)
 * policy-router delete ID | --domain D            (postsuper -d; a domain removes only its recipients)
 * </pre>
 * Exit status: 0 done, 1 the server refused or cannot be reached, 2 wrong usage.
 */
public final class QueueCli {
    static final List<String> COMMANDS = List.of("mailq", "show", "flush", "requeue", "hold", "release", "delete");
    private static final String MESSAGES = "/spool/queues/spool/messages";
    private static final int PAGE = 1000;

    private QueueCli() {
    }

    public static void main(String[] args) {
        Path home = Path.of(System.getProperty("policy.router.home", "."));
        System.exit(run(Arrays.asList(args), home, System.out, System.err));
    }

    public static int run(List<String> args, Path home, PrintStream out, PrintStream err) {
        Arguments arguments;
        try {
            arguments = Arguments.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("policy-router: " + e.getMessage());
            err.println("usage: policy-router mailq|show|flush|requeue|hold|release|delete [ID] [--domain D] [--json] [--webadmin URL]");
            return 2;
        }
        try {
            WebAdminClient webAdmin = arguments.webAdmin.isPresent() ? new WebAdminClient(arguments.webAdmin.get(), home) : WebAdminClient.fromConf(home);
            return execute(arguments, webAdmin, out);
        } catch (IOException e) {
            err.println("policy-router " + arguments.command + ": " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            err.println("policy-router: " + e.getMessage());
            return 2;
        }
    }

    private static int execute(Arguments arguments, WebAdminClient webAdmin, PrintStream out) throws IOException {
        switch (arguments.command) {
            case "mailq": {
                ArrayNode mails = all(webAdmin, arguments.domain.map(domain -> "domain=" + WebAdminClient.encode(domain)).orElse(""));
                out.print(arguments.json ? mails + "\n" : MailqReport.of(mails));
                return 0;
            }
            case "show": {
                String path = MESSAGES + "/" + WebAdminClient.encode(arguments.requireId());
                JsonNode mails = webAdmin.get(path);
                // like postcat: the envelope records, then the message as stored
                out.print(arguments.json ? mails + "\n" : MailqReport.details(mails) + webAdmin.getText(path + "/content"));
                return 0;
            }
            case "delete": {
                JsonNode result = arguments.id.isPresent() ? webAdmin.delete(MESSAGES + "/" + WebAdminClient.encode(arguments.id.get()))
                    : webAdmin.delete(MESSAGES + "?domain=" + WebAdminClient.encode(arguments.requireDomain()));
                out.println(arguments.json ? result.toString() : "deleted: " + result.path("deleted").asLong());
                return 0;
            }
            default: {
                // flush (requeue), hold, release
                String action = "action=" + (arguments.command.equals("requeue") ? "flush" : arguments.command);
                if (!action.endsWith("flush")) {
                    arguments.requireIdOrDomain();
                }
                JsonNode result = arguments.id.isPresent() ? webAdmin.patch(MESSAGES + "/" + WebAdminClient.encode(arguments.id.get()) + "?" + action)
                    : webAdmin.patch(MESSAGES + "?" + action + arguments.domain.map(domain -> "&domain=" + WebAdminClient.encode(domain)).orElse(""));
                String counted = action.endsWith("flush") ? "flushed" : arguments.command.equals("hold") ? "held" : "released";
                out.println(arguments.json ? result.toString() : (arguments.command.equals("requeue")
                    ? "requeued: " + result.path(counted).asLong() + " (each routed by the current policy tables as it is tried)"
                    : counted + ": " + result.path(counted).asLong()));
                return 0;
            }
        }
    }

    /** Every mail, page by page. */
    private static ArrayNode all(WebAdminClient webAdmin, String filter) throws IOException {
        ArrayNode mails = JsonNodeFactory.instance.arrayNode();
        for (int offset = 0; ; offset += PAGE) {
            JsonNode page = webAdmin.get(MESSAGES + "?offset=" + offset + "&limit=" + PAGE + (filter.isEmpty() ? "" : "&" + filter));
            page.forEach(mails::add);
            if (page.size() < PAGE) {
                return mails;
            }
        }
    }

    private static final class Arguments {
        final String command;
        final Optional<String> id;
        final Optional<String> domain;
        final Optional<String> webAdmin;
        final boolean json;

        private Arguments(String command, Optional<String> id, Optional<String> domain, Optional<String> webAdmin, boolean json) {
            this.command = command;
            this.id = id;
            this.domain = domain;
            this.webAdmin = webAdmin;
            this.json = json;
        }

        static Arguments parse(List<String> args) {
            if (args.isEmpty() || !COMMANDS.contains(args.get(0))) {
                throw new IllegalArgumentException("expected one of " + String.join(", ", COMMANDS));
            }
            Optional<String> domain = Optional.empty();
            Optional<String> webAdmin = Optional.empty();
            boolean json = false;
            List<String> operands = new ArrayList<>();
            for (Iterator<String> it = args.subList(1, args.size()).iterator(); it.hasNext(); ) {
                String arg = it.next();
                if (arg.equals("--json")) {
                    json = true;
                } else if (arg.equals("--domain") || arg.equals("--webadmin")) {
                    if (!it.hasNext()) {
                        throw new IllegalArgumentException(arg + " needs a value");
                    }
                    String value = it.next();
                    if (arg.equals("--domain")) {
                        domain = Optional.of(value);
                    } else {
                        webAdmin = Optional.of(value);
                    }
                } else if (arg.startsWith("--")) {
                    throw new IllegalArgumentException("unknown option " + arg);
                } else {
                    operands.add(arg);
                }
            }
            if (operands.size() > 1) {
                throw new IllegalArgumentException("one queue ID at a time, got " + operands);
            }
            Optional<String> id = operands.stream().findFirst();
            if (id.isPresent() && domain.isPresent()) {
                throw new IllegalArgumentException("give a queue ID or --domain, not both");
            }
            return new Arguments(args.get(0), id, domain, webAdmin, json);
        }

        String requireId() {
            return id.orElseThrow(() -> new IllegalArgumentException(command + " needs a queue ID"));
        }

        String requireDomain() {
            return domain.orElseThrow(() -> new IllegalArgumentException(command + " needs a queue ID or --domain D"));
        }

        void requireIdOrDomain() {
            if (id.isEmpty()) {
                requireDomain();
            }
        }
    }
}
