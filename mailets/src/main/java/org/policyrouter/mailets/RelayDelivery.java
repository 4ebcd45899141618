package org.policyrouter.mailets;

import org.apache.james.metrics.api.MetricFactory;
import javax.inject.Inject;
import java.util.List;
import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RelayHost;
import org.policyrouter.policy.RoutingAttributes;
import org.policyrouter.policy.TlsLevel;

/**
 * The SMTP relay delivery agent: sends the mail to the relay hosts RoutePolicy chose, starting
 * round robin at the next host for each mail and failing over to the following one when a host
 * does not answer. Delivered recipients are done; the others continue in the deferred (4xx,
 * no answer) or undeliverable (5xx) processor with the remote reply.
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=smtp" class="org.policyrouter.mailets.RelayDelivery">
 *   <connectTimeout>30s</connectTimeout>          <!-- default 30s -->
 *   <commandTimeout>300s</commandTimeout>         <!-- each SMTP command and the data; default 300s -->
 *   <heloName>mx.example.com</heloName>           <!-- default: this host's name -->
 *   <recipientLimit>50</recipientLimit>           <!-- and the connection cache: see SmtpRelayClient -->
 *   <tls>may</tls>                                <!-- none, may, encrypt, verify; a rule's tls= overrides it -->
 *   <tlsTrustStore>/etc/james/relay-ca.pem</tlsTrustStore>  <!-- PEM, JKS or PKCS12; default the JDK's -->
 *   <destinationConcurrencyLimit>20</destinationConcurrencyLimit>  <!-- see DestinationLimits -->
 *   <deferredProcessor>deferred</deferredProcessor>
 *   <undeliverableProcessor>undeliverable</undeliverableProcessor>
 * </mailet>
 * }</pre>
 */
public class RelayDelivery extends GenericMailet {
    private final RoundRobin roundRobin = new RoundRobin();
    private SmtpRelayClient client;
    private DestinationLimits limits;
    private final MetricFactory metrics;
    private DeliveryOutcomes outcomes;

    @Inject
    public RelayDelivery(MetricFactory metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init() throws MessagingException {
        client = SmtpRelayClient.configuredFor(this);
        limits = DestinationLimits.configuredFor(this);
        outcomes = DeliveryOutcomes.configuredFor(this, metrics);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        String hostsAttribute = AttributeUtils.getValueAndCastFromMail(mail, AttributeName.of(RoutingAttributes.RELAY_HOSTS), String.class)
            .orElseThrow(() -> new MessagingException(mail.getName() + " has no " + RoutingAttributes.RELAY_HOSTS
                + " attribute: RelayDelivery must follow RoutePolicy"));
        if (!limits.enter(hostsAttribute, mail)) {
            return;
        }
        try {
            List<RelayHost> hosts = roundRobin.rotate(hostsAttribute, RelayHosts.parse(hostsAttribute));
            TlsLevel level = client.level(RoutedNextHop.tls(mail));
            List<RelayRoute> routes = hosts.stream().map(host -> RelayRoute.of(host, level)).collect(Collectors.toList());
            RecipientOutcomes results = client.deliverVia(routes, mail.getMaybeSender(), mail.getRecipients(), mail.getMessage());
            outcomes.apply(mail, RelayHosts.format(hosts), results);
        } finally {
            limits.leave(hostsAttribute);
        }
    }

    @Override
    public void destroy() {
        client.close();
    }

    @Override
    public String getMailetInfo() {
        return "RelayDelivery: SMTP relay to the policy's next hop";
    }

}
