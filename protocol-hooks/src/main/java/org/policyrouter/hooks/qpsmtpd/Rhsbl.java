package org.policyrouter.hooks.qpsmtpd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.core.Dns;
import org.policyrouter.hooks.core.DnsFailurePolicy;
import org.policyrouter.hooks.core.DnsList;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.IpAddresses;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Rejection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code rhsbl}: the sender's domain and the HELO name are looked up in every zone of
 * {@code rhsbl_zones} ({@code zone [message]}); a listed one is refused at MAIL FROM with
 * {@code 550 5.7.1 Mail from <domain> rejected because it <reason>} (or {@code Mail from HELO
 * <name> …}), the reason being the zone's message, else its TXT record, else "is listed in
 * <zone>". The HELO lookup starts when the client says HELO. The null sender and immune
 * clients are not checked. qpsmtpd 0.94 no longer looks at the HELO name; this does, as earlier
 * qpsmtpd versions did ({@code <checkHelo>0</checkHelo>} turns it off).
 */
public class Rhsbl extends QpsmtpdHandler {
    private static final String HELO_LOOKUPS = "rhsbl.helo";

    private ControlFile<List<DnsList>> zones;
    private Rejection rejection;
    private DnsFailurePolicy dnsFailure;
    private boolean checkHelo;
    private CheckEnvironment environment;

    @Override
    public String pluginName() {
        return "rhsbl";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        this.environment = environment;
        zones = environment.controlFiles().parsed("rhsbl_zones", lines -> DnsList.parse(lines, "\\s+"));
        Options options = environment.options();
        if (options.positional().size() == 1) {
            // qpsmtpd's legacy "rhsbl disconnect"
            options = Options.fromPluginArguments(List.of("reject_type",
                options.positional().get(0).equalsIgnoreCase("disconnect") ? "disconnect" : "perm"), options.origin());
        }
        rejection = Rejection.from(pluginName(), options, ReturnCode.DENY);
        dnsFailure = DnsFailurePolicy.from(environment.options());
        checkHelo = environment.options().flag("checkHelo", true);
    }

    @Override
    public Verdict helo(Connection connection, String host) {
        if (checkHelo && !zones.get().isEmpty() && isDomainName(host)) {
            connection.connectionNotes().put(HELO_LOOKUPS, start(host.toLowerCase(Locale.ROOT)));
        }
        return Verdict.DECLINED;
    }

    @Override
    public Verdict mail(Connection connection, EnvelopeAddress sender) {
        if (sender.isNullSender() || zones.get().isEmpty() || Immunity.isImmune(connection)) {
            return Verdict.DECLINED;
        }
        boolean failed = false;
        Optional<String> domain = sender.domain().filter(Rhsbl::isDomainName);
        if (domain.isPresent()) {
            Started lookups = start(domain.get());
            Optional<DnsList.Result> listed = lookups.firstListed();
            if (listed.isPresent()) {
                return reject(connection, "Mail from " + domain.get(), listed.get());
            }
            failed = lookups.failed;
        }
        Object helo = connection.connectionNotes().get(HELO_LOOKUPS).orElse(null);
        if (helo instanceof Started) {
            Optional<DnsList.Result> listed = ((Started) helo).firstListed();
            if (listed.isPresent()) {
                return reject(connection, "Mail from HELO " + connection.heloHost().orElse(""), listed.get());
            }
            failed |= ((Started) helo).failed;
        }
        return failed ? dnsFailure.verdict() : Verdict.DECLINED;
    }

    private Verdict reject(Connection connection, String what, DnsList.Result result) {
        String reason = result.reason().orElse("is listed in " + result.zone());
        return rejection.reject(connection, what + " rejected because it " + reason, "7.1", what + " listed in " + result.zone());
    }

    private Started start(String domain) {
        Dns dns = environment.dns();
        List<DnsList.Lookup> lookups = new ArrayList<>();
        zones.get().forEach(list -> lookups.add(list.lookup(dns, domain)));
        return new Started(lookups, Deadline.after(dns.timeout()));
    }

    private static boolean isDomainName(String host) {
        return host != null && host.contains(".") && !host.startsWith("[") && !IpAddresses.isLiteral(host);
    }

    private static final class Started {
        private final List<DnsList.Lookup> lookups;
        private final Deadline deadline;
        private boolean failed;

        Started(List<DnsList.Lookup> lookups, Deadline deadline) {
            this.lookups = lookups;
            this.deadline = deadline;
        }

        Optional<DnsList.Result> firstListed() {
            for (DnsList.Lookup lookup : lookups) {
                DnsList.Result result = lookup.await(deadline);
                if (result.kind() == DnsList.Result.Kind.LISTED) {
                    return Optional.of(result);
                }
                failed |= result.kind() == DnsList.Result.Kind.FAILED;
            }
            return Optional.empty();
        }
    }
}
