package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.List;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.dnsservice.api.InMemoryDNSService;
import org.apache.james.dnsservice.api.TemporaryResolutionException;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.policyrouter.policy.RoutingAttributes;

/**
 * Issue 19, item 6: a DNS failure that may be temporary is a temporary delivery failure (the mail
 * is deferred), never a bounce. Before, an MX host whose address lookup failed — a DNS timeout
 * included, which James's DNS service reports as "unknown host" — bounced the mail with 5.4.4.
 */
class MxDnsFailureTest {
    /** James's in-memory DNS, with the failures a real resolver has. */
    static final class FailingDns extends InMemoryDNSService {
        @Override
        public Collection<String> findMXRecords(String hostname) throws TemporaryResolutionException {
            switch (hostname) {
                case "servfail.example":
                    throw new TemporaryResolutionException("DNSService is temporary not reachable");
                case "broken-resolver.example":
                    throw new IllegalStateException("resolver thread died");
                case "slow-mx.example":
                    return List.of("mx1.slow-mx.example", "mx2.slow-mx.example");
                case "no-such-domain.example":
                    // what DNSJavaService answers for NXDOMAIN: no MX, and its own address lookup failed
                    return List.of();
                default:
                    return super.findMXRecords(hostname);
            }
        }

        @Override
        public List<InetAddress> getAllByName(String host) throws UnknownHostException {
            if (host.endsWith(".slow-mx.example")) {
                // DNSJavaService: a lookup that timed out (TRY_AGAIN) ends as UnknownHostException
                sleep(200);
                throw new UnknownHostException(host + ": Invalid address");
            }
            if (host.equals("no-such-domain.example")) {
                throw new UnknownHostException(host);
            }
            return super.getAllByName(host);
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private FakeMailContext context;
    private MxDelivery mailet;

    @BeforeEach
    void setUp() throws Exception {
        InMemoryDNSService dns = new FailingDns()
            // an MX whose host has no address record at all in this DNS
            .registerRecord("dangling-mx.example", List.of(), List.of("gone.dangling-mx.example"), List.of());
        context = FakeMailContext.defaultContext();
        mailet = new MxDelivery(dns, new RecordingMetricFactory());
        mailet.init(FakeMailetConfig.builder().mailetName("mx").mailetContext(context).setProperty("connectTimeout", "1s").build());
    }

    private static Mail mail(String recipient) throws Exception {
        return FakeMail.builder().name("mx-dns").sender("sender@client.example").recipient(new MailAddress(recipient))
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("dns").setText("body"))
            .attribute(new Attribute(AttributeName.of(RoutingAttributes.NEXT_HOP), AttributeValue.of("mx")))
            .build();
    }

    private void assertDeferredWith(Mail mail, String reply) {
        assertThat(context.getSentMails()).as("no bounce copy").isEmpty();
        assertThat(mail.getState()).isEqualTo("deferred");
        assertThat(mail.getErrorMessage()).startsWith("4.4.3 ").contains(reply);
    }

    @Test
    void mxHostsWhoseAddressLookupsTimeOutAreATemporaryFailure() throws Exception {
        Mail mail = mail("user@slow-mx.example");

        mailet.service(mail);

        assertDeferredWith(mail, "mx1.slow-mx.example, mx2.slow-mx.example");
    }

    @Test
    void anMxHostWithoutAnyAddressIsATemporaryFailureToo() throws Exception {
        Mail mail = mail("user@dangling-mx.example");

        mailet.service(mail);

        assertDeferredWith(mail, "gone.dangling-mx.example");
    }

    @Test
    void anMxQueryThatTimesOutIsATemporaryFailure() throws Exception {
        Mail mail = mail("user@servfail.example");

        mailet.service(mail);

        assertDeferredWith(mail, "temporary DNS failure looking up MX of servfail.example");
    }

    @Test
    void aDnsServiceFailingInAnUnexpectedWayIsATemporaryFailure() throws Exception {
        Mail mail = mail("user@broken-resolver.example");

        mailet.service(mail);

        assertDeferredWith(mail, "resolver thread died");
    }

    @Test
    void aDomainWithNeitherMxNorAddressIsStillBouncedAtOnce() throws Exception {
        Mail mail = mail("user@no-such-domain.example");

        mailet.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(context.getSentMails()).singleElement().satisfies(bounce -> {
            assertThat(bounce.getState()).isEqualTo("undeliverable");
            assertThat(bounce.getAttributes().get(DeliveryOutcomes.DELIVERY_ERROR).getValue().value().toString())
                .isEqualTo("5.4.4 no-such-domain.example has no MX and no address record");
        });
    }
}
