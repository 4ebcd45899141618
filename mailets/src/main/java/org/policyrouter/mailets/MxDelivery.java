package org.policyrouter.mailets;

import org.apache.james.metrics.api.MetricFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.api.TemporaryResolutionException;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RelayHost;

/**
 * The MX delivery agent for {@code mx} next hops: per recipient domain, the MX hosts in
 * preference order (James's DNS service shuffles equal preferences), the domain's own A/AAAA
 * when it has no MX, each host's addresses tried in turn until one answers. A null MX
 * (RFC 7505) or a domain that does not resolve is a permanent failure; a DNS timeout or
 * SERVFAIL a temporary one.
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=mx" class="org.policyrouter.mailets.MxDelivery">
 *   <connectTimeout>30s</connectTimeout>
 *   <commandTimeout>300s</commandTimeout>
 *   <port>25</port>                    <!-- the SMTP port of MX hosts -->
 *   <heloName>mx.example.com</heloName>
 * </mailet>
 * }</pre>
 */
public class MxDelivery extends GenericMailet {
    private final DNSService dns;
    private SmtpRelayClient client;
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
        client = new SmtpRelayClient(MailetParameters.duration(this, "connectTimeout", Duration.ofSeconds(30)),
            MailetParameters.duration(this, "commandTimeout", Duration.ofSeconds(300)), getInitParameterAsOptional("heloName"));
        outcomes = DeliveryOutcomes.configuredFor(this, metrics);
        try {
            port = Integer.parseInt(getInitParameter("port", "25"));
        } catch (NumberFormatException e) {
            throw new MessagingException(getMailetName() + ": parameter port is not a number");
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        Map<Domain, List<MailAddress>> byDomain = new LinkedHashMap<>();
        mail.getRecipients().forEach(r -> byDomain.computeIfAbsent(r.getDomain(), d -> new ArrayList<>()).add(r));
        Map<MailAddress, RecipientOutcome> results = new LinkedHashMap<>();
        for (Map.Entry<Domain, List<MailAddress>> domain : byDomain.entrySet()) {
            results.putAll(deliverToDomain(mail, domain.getKey().asString(), domain.getValue()));
        }
        outcomes.apply(mail, "mx", results);
    }

    private Map<MailAddress, RecipientOutcome> deliverToDomain(Mail mail, String domain, List<MailAddress> recipients) throws MessagingException {
        Collection<String> mxHosts;
        try {
            mxHosts = dns.findMXRecords(domain);
        } catch (TemporaryResolutionException e) {
            return all(recipients, RecipientOutcome.temporaryFailure("4.4.3 temporary DNS failure looking up MX of " + domain));
        }
        if (mxHosts.size() == 1 && isNullMx(mxHosts.iterator().next())) {
            return all(recipients, RecipientOutcome.permanentFailure("5.1.10 " + domain + " accepts no mail (null MX, RFC 7505)"));
        }
        if (mxHosts.isEmpty()) {
            // RFC 5321 5.1: no MX means the domain itself is the host (James's DNS service does this too)
            mxHosts = List.of(domain);
        }
        List<RelayHost> hosts = new ArrayList<>();
        for (String mx : mxHosts) {
            if (isNullMx(mx)) {
                continue;
            }
            try {
                for (InetAddress address : dns.getAllByName(mx)) {
                    hosts.add(new RelayHost(address.getHostAddress(), port));
                }
            } catch (UnknownHostException e) {
                // an MX host without address: the next MX may still work
            }
        }
        if (hosts.isEmpty()) {
            return all(recipients, RecipientOutcome.permanentFailure("5.4.4 " + domain + " has no MX and no address record"));
        }
        return client.deliver(hosts, mail.getMaybeSender(), recipients, mail.getMessage());
    }

    private static boolean isNullMx(String host) {
        return host.equals(".") || host.isEmpty();
    }

    private static Map<MailAddress, RecipientOutcome> all(List<MailAddress> recipients, RecipientOutcome outcome) {
        Map<MailAddress, RecipientOutcome> results = new LinkedHashMap<>();
        recipients.forEach(r -> results.put(r, outcome));
        return results;
    }

    @Override
    public String getMailetInfo() {
        return "MxDelivery: SMTP to the recipient domain's MX hosts";
    }
}
