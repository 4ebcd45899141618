package org.policyrouter.mailets;

import java.time.Duration;
import java.util.List;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RelayHost;
import org.policyrouter.policy.RoutingAttributes;

/**
 * The {@code queue/qmqp-forward HOST[:PORT],…} next hop: the mail goes to a QMQP server
 * (qmail-qmqpd, Postfix's qmqpd) as qmail-qmqpc sends it ({@link QmqpClient}), starting round
 * robin one server further along the list for each mail. K: every recipient delivered; Z:
 * deferred; D: undeliverable, each with the server's text.
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=qmqp" class="org.policyrouter.mailets.QmqpDelivery">
 *   <connectTimeout>30s</connectTimeout>   <!-- default -->
 *   <timeout>300s</timeout>                <!-- each read and each write; default -->
 * </mailet>
 * }</pre>
 */
public class QmqpDelivery extends GenericMailet {
    private static final AttributeName SERVERS = AttributeName.of(RoutingAttributes.RELAY_HOSTS);

    private final MetricFactory metrics;
    private final RoundRobin roundRobin = new RoundRobin();
    private QmqpClient client;
    private DeliveryOutcomes outcomes;

    @Inject
    public QmqpDelivery(MetricFactory metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init() throws MessagingException {
        client = new QmqpClient(MailetParameters.duration(this, "connectTimeout", Duration.ofSeconds(30)),
            MailetParameters.duration(this, "timeout", Duration.ofSeconds(300)));
        outcomes = DeliveryOutcomes.configuredFor(this, metrics);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        String servers = AttributeUtils.getValueAndCastFromMail(mail, SERVERS, String.class)
            .orElseThrow(() -> new MessagingException(mail.getName() + " has no " + RoutingAttributes.RELAY_HOSTS
                + " attribute: QmqpDelivery must follow RoutePolicy"));
        List<RelayHost> order = roundRobin.rotate(servers, RelayHosts.parse(servers));
        outcomes.apply(mail, "qmqp:" + RelayHosts.format(order),
            client.deliver(order, mail.getMaybeSender(), mail.getRecipients(), mail.getMessage()));
    }

    @Override
    public void destroy() {
        if (client != null) {
            client.close();
        }
    }

    @Override
    public String getMailetInfo() {
        return "QmqpDelivery: queue/qmqp-forward next hops";
    }
}
