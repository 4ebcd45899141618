package org.policyrouter.hooks.qpsmtpd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.ControlLine;
import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.core.Dns;
import org.policyrouter.hooks.core.DnsFailurePolicy;
import org.policyrouter.hooks.core.DnsList;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.IpAddresses;
import org.policyrouter.hooks.core.IpList;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Rejection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code dnsbl}: the client address (IPv4, and IPv6 by nibbles) is looked up in every
 * zone of {@code dnsbl_zones} as soon as it connects; at RCPT the answers are collected (waiting
 * at most what is left of the DNS timeout) and a listed client is refused with
 * {@code 550 5.7.1 <reason>}: the zone's message after a ':' ({@code %IP%} becomes the client
 * address), else the zone's TXT record, else "Blocked by <zone>", preceded by the text of
 * {@code dnsbl_rejectmsg} if present. postmaster and abuse stay reachable. Clients in
 * {@code dnsbl_allow} (address or prefix ending in '.') are not looked up; immune clients are not
 * refused. qpsmtpd 0.94 refuses before the greeting and, for zones with a message, replies with
 * the query name instead of the message; we refuse at RCPT and use the message.
 */
public class Dnsbl extends QpsmtpdHandler {
    private static final String LOOKUPS = "dnsbl.lookups";

    private ControlFile<List<DnsList>> zones;
    private ControlFile<IpList> allow;
    private ControlFile<List<ControlLine>> rejectMessage;
    private Rejection rejection;
    private DnsFailurePolicy dnsFailure;
    private CheckEnvironment environment;

    @Override
    public String pluginName() {
        return "dnsbl";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        this.environment = environment;
        zones = environment.controlFiles().parsed("dnsbl_zones", lines -> DnsList.parse(lines, ":"));
        allow = environment.controlFiles().parsed("dnsbl_allow", lines -> IpList.parse(lines, true));
        rejectMessage = environment.controlFiles().lines("dnsbl_rejectmsg");
        rejection = Rejection.from(pluginName(), legacyRejectType(environment), ReturnCode.DENY);
        dnsFailure = DnsFailurePolicy.from(environment.options());
    }

    /** {@code dnsbl disconnect}: qpsmtpd still takes a lone reject type. */
    private static org.policyrouter.hooks.core.Options legacyRejectType(CheckEnvironment environment) {
        List<String> positional = environment.options().positional();
        if (positional.size() == 1) {
            return org.policyrouter.hooks.core.Options.fromPluginArguments(List.of("reject_type", positional.get(0)), environment.options().origin());
        }
        return environment.options();
    }

    @Override
    public Verdict connect(Connection connection) {
        List<DnsList> lists = zones.get();
        if (lists.isEmpty() || connection.isRelayClient() || allow.get().contains(connection.remoteAddress())) {
            return Verdict.DECLINED;
        }
        Dns dns = environment.dns();
        String key = IpAddresses.reversed(connection.remoteAddress());
        List<DnsList.Lookup> lookups = new ArrayList<>();
        lists.forEach(list -> lookups.add(list.lookup(dns, key)));
        connection.connectionNotes().put(LOOKUPS, new Started(lookups, Deadline.after(dns.timeout())));
        return Verdict.DECLINED;
    }

    @Override
    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        Object started = connection.connectionNotes().get(LOOKUPS).orElse(null);
        if (!(started instanceof Started) || isSpecialAccount(recipient) || Immunity.isImmune(connection)) {
            return Verdict.DECLINED;
        }
        boolean failed = false;
        for (DnsList.Lookup lookup : ((Started) started).lookups) {
            DnsList.Result result = lookup.await(((Started) started).deadline);
            if (result.kind() == DnsList.Result.Kind.LISTED) {
                String reason = result.reason().orElse("Blocked by " + result.zone()).replace("%IP%", connection.remoteIp());
                String prefix = String.join(" ", rejectMessage.get().stream().map(ControlLine::text).toArray(String[]::new));
                return rejection.reject(connection, prefix.isEmpty() ? reason : prefix + " " + reason, "7.1",
                    "listed in " + result.zone());
            }
            failed |= result.kind() == DnsList.Result.Kind.FAILED;
        }
        return failed ? dnsFailure.verdict() : Verdict.DECLINED;
    }

    /** RFC 5321 section 4.5.1: postmaster must always be reachable, and abuse (RFC 2142) with it. */
    static boolean isSpecialAccount(EnvelopeAddress recipient) {
        String local = recipient.localPart().toLowerCase(Locale.ROOT);
        return local.equals("postmaster") || local.equals("abuse");
    }

    private static final class Started {
        private final List<DnsList.Lookup> lookups;
        private final Deadline deadline;

        Started(List<DnsList.Lookup> lookups, Deadline deadline) {
            this.lookups = lookups;
            this.deadline = deadline;
        }
    }
}
