package org.policyrouter.hooks.qpsmtpd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import org.policyrouter.hooks.limits.ClusterLimits;
import org.policyrouter.hooks.core.ControlLine;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.QpsmtpdHandler;

/**
 * qpsmtpd's {@code plugins} file, read as qpsmtpd reads it: one plugin per line, its arguments
 * after it ({@code dnsbl reject_type temp}), {@code name:N} for another instance of the same
 * plugin. Each line is resolved to one of our checks, or to a reason it is skipped: James already
 * does it (queue/*, logging/*, tls, auth/*…) or we do not implement it.
 */
final class PluginsFile {
    /** qpsmtpd plugin names (and their older check_* and async/* spellings) → our checks. */
    private static final Map<String, Supplier<QpsmtpdHandler>> CHECKS = Map.ofEntries(
        Map.entry("relay", Relay::new),
        Map.entry("check_relay", Relay::new),
        Map.entry("rcpt_ok", RcptOk::new),
        Map.entry("badmailfrom", BadMailFrom::new),
        Map.entry("check_badmailfrom", BadMailFrom::new),
        Map.entry("badrcptto", BadRcptTo::new),
        Map.entry("check_badrcptto", BadRcptTo::new),
        Map.entry("badmailfromto", BadMailFromTo::new),
        Map.entry("check_badmailfromto", BadMailFromTo::new),
        Map.entry("helo", Helo::new),
        Map.entry("count_unrecognized_commands", CountUnrecognizedCommands::new),
        Map.entry("hosts_allow", HostsAllow::new),
        Map.entry("dnsbl", Dnsbl::new),
        Map.entry("async/dnsbl", Dnsbl::new),
        Map.entry("rhsbl", Rhsbl::new),
        Map.entry("async/rhsbl", Rhsbl::new),
        Map.entry("dns_whitelist_soft", DnsWhitelistSoft::new),
        Map.entry("async/dns_whitelist_soft", DnsWhitelistSoft::new),
        Map.entry("resolvable_fromhost", ResolvableFromhost::new),
        Map.entry("require_resolvable_fromhost", ResolvableFromhost::new),
        Map.entry("async/resolvable_fromhost", ResolvableFromhost::new),
        Map.entry("earlytalker", Earlytalker::new),
        Map.entry("check_earlytalker", Earlytalker::new),
        Map.entry("async/earlytalker", Earlytalker::new),
        Map.entry("greylisting", Greylisting::new),
        Map.entry("limit", ClusterLimits::new),
        Map.entry("naughty", Naughty::new));

    /** Plugins whose job James itself does in its own configuration. */
    private static final Set<String> JAMES_DOES_IT = Set.of("tls", "help", "quit_fortune", "connection_time",
        "dont_require_anglebrackets", "parse_addr_withhelo", "stunnel", "loop", "check_loop", "content_log");
    private static final List<String> JAMES_DOES_IT_PREFIXES = List.of("queue/", "logging/", "auth/", "async/queue/", "tls");

    private PluginsFile() {
    }

    static final String JAMES_DOES_THIS = "James does this itself";
    static final String NOT_IMPLEMENTED = "not implemented";

    /** One line of the plugins file, resolved. */
    static final class Entry {
        final String line;
        /** file:line, for messages. */
        final String where;
        final String name;
        final Optional<Supplier<QpsmtpdHandler>> check;
        final Options options;
        final String skipReason;

        private Entry(ControlLine line, String name, Supplier<QpsmtpdHandler> check, Options options, String skipReason) {
            this.line = line.text();
            this.where = line.where();
            this.name = name;
            this.check = Optional.ofNullable(check);
            this.options = options;
            this.skipReason = skipReason;
        }

        /** Skipped, and what the plugin does is then not done at all (a scanner, a filter). */
        boolean isUnsupported() {
            return check.isEmpty() && NOT_IMPLEMENTED.equals(skipReason);
        }
    }

    static List<Entry> parse(List<ControlLine> lines) {
        List<Entry> entries = new ArrayList<>();
        for (ControlLine line : lines) {
            List<String> words = Arrays.asList(line.text().split("\\s+"));
            String plugin = words.get(0);
            // "plugin:0" is a second instance of the same plugin (qpsmtpd plugins.pod)
            String name = plugin.replaceFirst(":\\d+$", "").toLowerCase(Locale.ROOT);
            Options options = Options.fromPluginArguments(words.subList(1, words.size()), line.where() + " (" + plugin + ")");
            Supplier<QpsmtpdHandler> check = CHECKS.get(name);
            String skip = null;
            if (check == null) {
                skip = JAMES_DOES_IT.contains(name) || JAMES_DOES_IT_PREFIXES.stream().anyMatch(name::startsWith)
                    ? JAMES_DOES_THIS : NOT_IMPLEMENTED;
            }
            entries.add(new Entry(line, plugin, check, options, skip));
        }
        return List.copyOf(entries);
    }
}
