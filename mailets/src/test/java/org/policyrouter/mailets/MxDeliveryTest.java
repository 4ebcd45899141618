package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;

import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.InMemoryDNSService;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.policyrouter.policy.RoutingAttributes;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

class MxDeliveryTest {
    private GreenMail primary;
    private GreenMail backup;
    private FakeMailContext context;
    private MxDelivery mailet;
    private RecordingMetricFactory metrics;

    @BeforeEach
    void setUp() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        // two MX hosts on two loopback addresses, same port: MX delivery has one port for all hosts
        primary = new GreenMail(new ServerSetup(port, "127.0.0.2", ServerSetup.PROTOCOL_SMTP));
        backup = new GreenMail(new ServerSetup(port, "127.0.0.3", ServerSetup.PROTOCOL_SMTP));
        primary.start();
        backup.start();
        InMemoryDNSService dns = new InMemoryDNSService()
            .registerRecord("mx1.mx.example", InetAddress.getByName("127.0.0.2"), "mx1.mx.example")
            .registerRecord("mx2.mx.example", InetAddress.getByName("127.0.0.3"), "mx2.mx.example")
            .registerRecord("mx.example", List.of(), List.of("mx1.mx.example", "mx2.mx.example"), List.of())
            .registerRecord("deadprimary.example", List.of(), List.of("dead.mx.example", "mx2.mx.example"), List.of())
            .registerRecord("dead.mx.example", InetAddress.getByName("127.0.0.9"), "dead.mx.example")
            .registerRecord("a-only.example", List.of(InetAddress.getByName("127.0.0.3")), List.of(), List.of())
            .registerRecord("nullmx.example", List.of(), List.of("."), List.of());
        context = FakeMailContext.defaultContext();
        metrics = new RecordingMetricFactory();
        mailet = new MxDelivery(dns, metrics);
        mailet.init(FakeMailetConfig.builder().mailetName("mx").mailetContext(context)
            .setProperty("port", String.valueOf(port)).setProperty("connectTimeout", "2s").build());
    }

    @AfterEach
    void tearDown() {
        primary.stop();
        backup.stop();
    }

    private Mail mail(String... recipients) throws Exception {
        FakeMail.Builder builder = FakeMail.builder().name("mx-test").sender("sender@client.example")
            .mimeMessage(org.apache.james.core.builder.MimeMessageBuilder.mimeMessageBuilder().setSubject("mx").setText("body"))
            .attribute(new Attribute(AttributeName.of(RoutingAttributes.NEXT_HOP), AttributeValue.of("mx")));
        for (String recipient : recipients) {
            builder.recipient(new MailAddress(recipient));
        }
        return builder.build();
    }

    @Test
    void deliversToTheMostPreferredMx() throws Exception {
        mailet.service(mail("user@mx.example"));

        assertThat(primary.getReceivedMessages()).hasSize(1);
        assertThat(backup.getReceivedMessages()).isEmpty();
        assertThat(context.getSentMails()).isEmpty();
        assertThat(metrics.countFor("policyrouter.delivery.sent")).isEqualTo(1);
    }

    @Test
    void triesTheNextMxWhenThePreferredOneDoesNotAnswer() throws Exception {
        mailet.service(mail("user@deadprimary.example"));

        assertThat(backup.getReceivedMessages()).hasSize(1);
    }

    @Test
    void usesTheDomainsOwnAddressWhenItHasNoMx() throws Exception {
        mailet.service(mail("user@a-only.example"));

        assertThat(backup.getReceivedMessages()).hasSize(1);
    }

    @Test
    void aNullMxIsAPermanentFailure() throws Exception {
        Mail mail = mail("user@nullmx.example", "user@mx.example");
        mailet.service(mail);

        assertThat(primary.getReceivedMessages()).hasSize(1);
        assertThat(context.getSentMails()).hasSize(1);
        FakeMailContext.SentMail bounced = context.getSentMails().get(0);
        assertThat(bounced.getState()).isEqualTo("undeliverable");
        assertThat(bounced.getRecipients()).containsExactly(new MailAddress("user@nullmx.example"));
        assertThat(bounced.getAttributes().get(DeliveryOutcomes.DELIVERY_ERROR).getValue().value().toString())
            .contains("5.1.10 nullmx.example accepts no mail (null MX, RFC 7505)");
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(metrics.countFor("policyrouter.delivery.bounced")).isEqualTo(1);
        assertThat(metrics.countFor("policyrouter.delivery.sent")).isEqualTo(1);
    }
}
