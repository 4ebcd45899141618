package org.policyrouter.mailets;

import org.apache.james.metrics.api.MetricFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.api.TemporaryResolutionException;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RelayHost;
import org.policyrouter.policy.TlsLevel;

/**
 * The MX delivery agent for {@code mx} next hops: per recipient domain, the MX hosts in
 * preference order (James's DNS service shuffles equal preferences), the domain's own A/AAAA
 * when it has no MX, each host's addresses tried in turn until one answers. A null MX
 * (RFC 7505) or a domain with neither MX nor address is a permanent failure; any DNS failure
 * that may be temporary is a temporary one: a timeout or SERVFAIL of the MX query, a DNS service
 * failing otherwise, and MX hosts none of whose addresses could be looked up (James's DNS
 * service cannot tell a timeout of that lookup from "no such host").
 * At {@code verify} each MX host must prove its own name (as the MX record gives it). Without
 * DNSSEC that name is not authenticated: whoever forges the MX answer chooses the name too, as
 * Postfix's documentation warns; DANE and MTA-STS are not implemented (docs/relay.md says why).
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=mx" class="org.policyrouter.mailets.MxDelivery">
 *   <connectTimeout>30s</connectTimeout>
 *   <commandTimeout>300s</commandTimeout>
 *   <port>25</port>                    <!-- the SMTP port of MX hosts -->
 *   <heloName>mx.example.com</heloName>
 *   <recipientLimit>50</recipientLimit>       <!-- and the connection cache: see SmtpRelayClient -->
 *   <tls>may</tls>                            <!-- none, may, encrypt, verify; tls=LEVEL mx overrides it -->
 *   <tlsTrustStore>/etc/james/mx-ca.pem</tlsTrustStore>  <!-- default the JDK's trust store -->
 *   <destinationConcurrencyLimit>20</destinationConcurrencyLimit>  <!-- per domain, see DestinationLimits -->
 * </mailet>
 * }</pre>
 */
public class MxDelivery extends GenericMailet {
    private final DNSService dns;
    private SmtpRelayClient client;
    private DestinationLimits limits;
    private DeliveryOutcomes outcomes;
    private int port;

    private final MetricFactory metrics;

    @Inject
    public MxDelivery(DNSService dns, MetricFactory metrics) {
        this.dns = dns;
        this.metrics = metrics;
    }

    @Override
    public void init() throws MessagingException {
        client = SmtpRelayClient.configuredFor(this);
        limits = DestinationLimits.configuredFor(this);
        outcomes = DeliveryOutcomes.configuredFor(this, metrics);
        port = MailetParameters.number(this, "port", 25, 1);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        Map<Domain, List<MailAddress>> byDomain = new LinkedHashMap<>();
        mail.getRecipients().forEach(r -> byDomain.computeIfAbsent(r.getDomain(), d -> new ArrayList<>()).add(r));
        // RoutePolicy sends one mail per MX domain: the destination whose concurrency is limited (a
        // mail queued before that may still hold several; it is not limited)
        Optional<String> destination = byDomain.size() == 1 ? Optional.of(byDomain.keySet().iterator().next().asString()) : Optional.empty();
        if (destination.isPresent() && !limits.enter(destination.get(), mail)) {
            return;
        }
        TlsLevel level = client.level(RoutedNextHop.tls(mail));
        try {
            RecipientOutcomes results = new RecipientOutcomes();
            for (Map.Entry<Domain, List<MailAddress>> domain : byDomain.entrySet()) {
                results.putAll(deliverToDomain(mail, domain.getKey().asString(), domain.getValue(), level));
            }
            outcomes.apply(mail, "mx", results);
        } finally {
            destination.ifPresent(limits::leave);
        }
    }

    private RecipientOutcomes deliverToDomain(Mail mail, String domain, List<MailAddress> recipients, TlsLevel level) throws MessagingException {
        Collection<String> mxHosts;
        try {
            mxHosts = dns.findMXRecords(domain);
        } catch (TemporaryResolutionException | RuntimeException e) {
            // a timeout, SERVFAIL, or a DNS service failing in any other way: try again later
            return all(recipients, RecipientOutcome.temporaryFailure("4.4.3 temporary DNS failure looking up MX of " + domain + ": " + e));
        }
        if (mxHosts.size() == 1 && isNullMx(mxHosts.iterator().next())) {
            return all(recipients, RecipientOutcome.permanentFailure("5.1.10 " + domain + " accepts no mail (null MX, RFC 7505)"));
        }
        boolean implicitMx = mxHosts.isEmpty();
        if (implicitMx) {
            // RFC 5321 5.1: no MX means the domain itself is the host. James's DNS service answers
            // no MX only when the MX query was answered and its own address lookup of the domain failed
            mxHosts = List.of(domain);
        }
        List<RelayRoute> hosts = new ArrayList<>();
        List<String> unresolved = new ArrayList<>();
        for (String mx : mxHosts) {
            if (isNullMx(mx)) {
                continue;
            }
            try {
                for (InetAddress address : dns.getAllByName(mx)) {
                    // verify checks the MX host's name, not the address it resolved to
                    hosts.add(new RelayRoute(new RelayHost(address.getHostAddress(), port), mx, level));
                }
            } catch (UnknownHostException | RuntimeException e) {
                // the next MX may still work
                unresolved.add(mx);
            }
        }
        if (hosts.isEmpty() && implicitMx) {
            return all(recipients, RecipientOutcome.permanentFailure("5.4.4 " + domain + " has no MX and no address record"));
        }
        if (hosts.isEmpty()) {
            // James's DNS service answers a timeout of an address lookup as it answers "no such
            // host" (UnknownHostException); the domain's MX records say it takes mail, so a
            // failure here is deferred, never bounced: the queue lifetime ends a lasting one
            return all(recipients, RecipientOutcome.temporaryFailure("4.4.3 no address found for the MX hosts of " + domain + " ("
                + String.join(", ", unresolved) + "): the DNS may be failing, trying again later"));
        }
        return client.deliverVia(hosts, mail.getMaybeSender(), recipients, mail.getMessage());
    }

    private static boolean isNullMx(String host) {
        return host.equals(".") || host.isEmpty();
    }

    private static RecipientOutcomes all(List<MailAddress> recipients, RecipientOutcome outcome) {
        return RecipientOutcomes.of(recipients, outcome);
    }

    @Override
    public void destroy() {
        client.close();
    }

    @Override
    public String getMailetInfo() {
        return "MxDelivery: SMTP to the recipient domain's MX hosts";
    }
}
