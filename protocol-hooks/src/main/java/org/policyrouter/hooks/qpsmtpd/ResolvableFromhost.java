package org.policyrouter.hooks.qpsmtpd;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Cidr;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFileException;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.ControlLine;
import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.core.Dns;
import org.policyrouter.hooks.core.DnsAnswer;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.IpAddresses;
import org.policyrouter.hooks.core.Notes;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Rejection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code resolvable_fromhost}: the sender's domain must be able to receive replies —
 * an MX whose host has an address, or no MX but an A/AAAA record — and those addresses must not
 * all be in {@code invalid_resolvable_fromhost} (one network per line, e.g. {@code 127.0.0.0/8}).
 * A domain that fails gets {@code 450 4.1.8 FQDN required in the envelope sender}
 * ({@code reject_type perm}: 550 5.1.8); a domain publishing a null MX (RFC 7505) gets
 * {@code 550 5.7.27}; when DNS fails or stays silent the answer is always
 * {@code 450 4.4.3 Temporary address resolution failure} — qpsmtpd 0.94 turns that into a
 * permanent 5xx under reject_type perm. All lookups of one MAIL FROM share one DNS timeout.
 * Sets the transaction note {@code resolvable_fromhost} (mx, a, ip, null, whitelist or the failure).
 *
 * <p>A domain whose only addresses are invalid is refused, also when it has no MX but an A
 * record: qpsmtpd's documentation says so (config.pod: "reject the sender address if it resolves
 * to something listed in the invalid_resolvable_fromhost config file"); 0.94's code accepts it,
 * because it notes "a" before judging the address and then takes the note for a pass.
 */
public class ResolvableFromhost extends QpsmtpdHandler {
    static final String NOTE = "resolvable_fromhost";

    private ControlFile<List<Cidr>> invalidNetworks;
    private Rejection rejection;
    private CheckEnvironment environment;

    private enum Outcome { RESOLVED, NULL_MX, UNRESOLVABLE, TEMPORARY_FAILURE }

    @Override
    public String pluginName() {
        return "resolvable_fromhost";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        this.environment = environment;
        invalidNetworks = environment.controlFiles().parsed("invalid_resolvable_fromhost", ResolvableFromhost::parseNetworks);
        rejection = Rejection.from(pluginName(), environment.options(), ReturnCode.DENYSOFT);
    }

    private static List<Cidr> parseNetworks(List<ControlLine> lines) {
        List<Cidr> networks = new ArrayList<>();
        for (ControlLine line : lines) {
            networks.add(Cidr.parse(line.text().split("\\s+", 2)[0])
                .orElseThrow(() -> new ControlFileException(line, "not a network/mask")));
        }
        return List.copyOf(networks);
    }

    @Override
    public Verdict mail(Connection connection, EnvelopeAddress sender) {
        Notes notes = connection.transactionNotes();
        if (sender.isNullSender()) {
            notes.put(NOTE, "null");
            return Verdict.DECLINED;
        }
        if (Immunity.isImmune(connection)) {
            notes.put(NOTE, "whitelist");
            return Verdict.DECLINED;
        }
        Optional<String> domain = sender.domain();
        if (domain.isPresent() && isAddressLiteral(domain.get())) {
            notes.put(NOTE, "ip");
            return Verdict.DECLINED;
        }
        Outcome outcome = domain.map(d -> resolve(d, notes)).orElse(Outcome.UNRESOLVABLE);
        switch (outcome) {
            case RESOLVED:
                return Verdict.DECLINED;
            case NULL_MX:
                return rejection.reject(connection, ReturnCode.DENY,
                    "Sender domain " + domain.orElse("") + " does not accept mail (null MX)", "7.27", "null MX");
            case TEMPORARY_FAILURE:
                return rejection.reject(connection, ReturnCode.DENYSOFT, "Temporary address resolution failure", "4.3",
                    "DNS failure for " + domain.orElse(""));
            default:
                return rejection.reject(connection, "FQDN required in the envelope sender", "1.8",
                    notes.string(NOTE).orElse("unresolvable"));
        }
    }

    /**
     * An address literal ({@code [192.0.2.1]}, {@code [IPv6:2001:db8::1]}) names the host itself:
     * nothing to resolve, as in qpsmtpd (which recognises the IPv4 form only). James's MailAddress
     * hands hooks {@code a@[192.0.2.1]} without its brackets; a bare dotted quad cannot be a host
     * name (no top-level domain is all digits, RFC 3696 2), nor can anything with a colon.
     */
    static boolean isAddressLiteral(String domain) {
        return IpAddresses.isLiteral(domain);
    }

    private Outcome resolve(String domain, Notes notes) {
        Dns dns = environment.dns();
        Deadline deadline = Deadline.after(dns.timeout());
        DnsAnswer mx = deadline.await(dns.query(domain, Dns.Type.MX)).orElse(DnsAnswer.timeout());
        if (mx.isFound()) {
            if (mx.records().contains(".")) {
                notes.put(NOTE, "null MX for " + domain);
                return Outcome.NULL_MX;
            }
            return anyValidAddress(mx.records(), deadline, notes, "mx", "invalid MX for " + domain);
        }
        if (mx.isTemporaryFailure()) {
            notes.put(NOTE, "MX lookup failed for " + domain);
            return Outcome.TEMPORARY_FAILURE;
        }
        if (mx.status() == DnsAnswer.Status.NXDOMAIN) {
            notes.put(NOTE, domain + " does not exist");
            return Outcome.UNRESOLVABLE;
        }
        return anyValidAddress(List.of(domain), deadline, notes, "a", domain + " has no MX and no address");
    }

    /** Looks up every host's A and AAAA records at once; resolved if any host has a valid address. */
    private Outcome anyValidAddress(List<String> hosts, Deadline deadline, Notes notes, String success, String failure) {
        Dns dns = environment.dns();
        List<CompletableFuture<DnsAnswer>> answers = new ArrayList<>();
        boolean literalOnly = true;
        for (String host : hosts) {
            Optional<InetAddress> literal = IpAddresses.parse(host);
            if (literal.isPresent()) {
                if (isValid(literal.get())) {
                    notes.put(NOTE, success);
                    return Outcome.RESOLVED;
                }
                continue;
            }
            literalOnly = false;
            answers.add(dns.query(host, Dns.Type.A));
            answers.add(dns.query(host, Dns.Type.AAAA));
        }
        boolean failed = false;
        for (CompletableFuture<DnsAnswer> future : answers) {
            DnsAnswer answer = deadline.await(future).orElse(DnsAnswer.timeout());
            if (answer.records().stream().map(IpAddresses::parse).flatMap(Optional::stream).anyMatch(this::isValid)) {
                notes.put(NOTE, success);
                return Outcome.RESOLVED;
            }
            failed |= answer.isTemporaryFailure();
        }
        notes.put(NOTE, failure);
        return failed && !literalOnly ? Outcome.TEMPORARY_FAILURE : Outcome.UNRESOLVABLE;
    }

    private boolean isValid(InetAddress address) {
        return invalidNetworks.get().stream().noneMatch(network -> network.contains(address));
    }
}
