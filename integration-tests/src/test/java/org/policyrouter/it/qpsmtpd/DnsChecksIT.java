package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.Collection;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.api.InMemoryDNSService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The DNS checks through James's own DNSService (here an InMemoryDNSService): dnsbl,
 * dns_whitelist_soft, rhsbl, resolvable_fromhost, and the notes one sets for the others.
 */
class DnsChecksIT {
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory()
        .write("dnsbl_zones", "bl.test", "msg.test:Listed at msg.test - see http://msg.test/?%IP%")
        .write("whitelist_zones", "wl.test")
        .write("rhsbl_zones", "rhs.test")
        .write("invalid_resolvable_fromhost", "127.0.0.0/8")
        .write("rcpthosts", "our.example");

    @RegisterExtension
    static JamesServerExtension james = CHAIN.james(
            CHAIN.handler("DnsWhitelistSoft"),
            CHAIN.handler("Dnsbl"),
            CHAIN.handler("Rhsbl"),
            CHAIN.handler("ResolvableFromhost"),
            CHAIN.handler("RcptOk"))
        .overrideModule(binder -> binder.bind(DNSService.class).toInstance(dns()))
        .build();

    static InMemoryDNSService dns() {
        try {
            return new InMemoryDNSService()
                // what James itself resolves for authorizedAddresses 127.0.0.1/32
                .registerRecord("255.255.255.255", List.of(ip("255.255.255.255")), none(), none())
                .registerRecord("20.0.0.127.bl.test", List.of(ip("127.0.0.2")), none(), List.of("Listed for spamming, see http://bl.test/127.0.0.20"))
                .registerRecord("21.0.0.127.msg.test", List.of(ip("127.0.0.2")), none(), none())
                .registerRecord("22.0.0.127.bl.test", List.of(ip("127.0.0.2")), none(), List.of("Listed for spamming"))
                .registerRecord("22.0.0.127.wl.test", List.of(ip("127.0.0.2")), none(), List.of("trusted partner"))
                .registerRecord("spammy.example.rhs.test", List.of(ip("127.0.0.2")), none(), List.of("is a known spam source"))
                .registerRecord("badhelo.example.rhs.test", List.of(ip("127.0.0.2")), none(), none())
                .registerRecord("good.example", List.of(), List.of("mx.good.example"), none())
                .registerRecord("mx.good.example", List.of(ip("192.0.2.10")), none(), none())
                .registerRecord("spammy.example", List.of(), List.of("mx.good.example"), none())
                .registerRecord("aonly.example", List.of(ip("192.0.2.11")), none(), none())
                .registerRecord("internal.example", List.of(ip("127.0.0.99")), none(), none())
                .registerRecord("nullmx.example", List.of(), List.of("."), none());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private static Collection<String> none() {
        return List.of();
    }

    @Test
    void refusesAListedClientWithTheZonesTxtRecord(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.20", "sender@good.example", "user@our.example")).isEqualTo("550 5.7.1 Listed for spamming, see http://bl.test/127.0.0.20");
    }

    @Test
    void usesTheConfiguredZoneMessageWithTheClientAddress(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.21", "sender@good.example", "user@our.example")).isEqualTo("550 5.7.1 Listed at msg.test - see http://msg.test/?127.0.0.21");
    }

    @Test
    void keepsPostmasterReachableForListedClients(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.20", "sender@good.example", "postmaster@our.example")).startsWith("250 ");
    }

    @Test
    void acceptsAnUnlistedClient(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.23", "sender@good.example", "user@our.example")).startsWith("250 ");
    }

    @Test
    void aDnsAllowListedClientIsNotRefusedByTheBlockList(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.22", "sender@good.example", "user@our.example")).startsWith("250 ");
    }

    @Test
    void aDnsAllowListedClientStillCannotRelay(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.rcptToReply(server, "127.0.0.22", "sender@good.example", "user@foreign.example")).isEqualTo("550 5.7.1 Relaying denied");
    }

    @Test
    void theAllowListNoteIsAlreadyThereAtMailFrom(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.22", "client.example", "someone@spammy.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "client.example", "someone@spammy.example"))
            .isEqualTo("550 5.7.1 Mail from spammy.example rejected because it is a known spam source");
    }

    @Test
    void refusesAListedHeloName(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "badhelo.example", "sender@good.example"))
            .isEqualTo("550 5.7.1 Mail from HELO badhelo.example rejected because it is listed in rhs.test");
    }

    @Test
    void acceptsSendersWhoseDomainHasAnMxOrAnAddress(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "client.example", "a@good.example")).startsWith("250 ");
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "client.example", "a@aonly.example")).startsWith("250 ");
    }

    @Test
    void defersSendersWhoseDomainDoesNotResolve(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "client.example", "a@nowhere.example")).isEqualTo("450 4.1.8 FQDN required in the envelope sender");
    }

    @Test
    void defersSendersWhoseDomainOnlyResolvesIntoInvalidNetworks(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "client.example", "a@internal.example")).isEqualTo("450 4.1.8 FQDN required in the envelope sender");
    }

    @Test
    void acceptsAnIpv4AddressLiteralSenderAsQpsmtpdDoes(GuiceJamesServer server) throws Exception {
        // James's MailAddress drops the brackets: the reply names a@192.0.2.1
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "client.example", "a@[192.0.2.1]")).isEqualTo("250 2.1.0 Sender <a@192.0.2.1> OK");
    }

    @Test
    void anIpv6AddressLiteralSenderIsRefusedByJamesBeforeAnyCheck(GuiceJamesServer server) throws Exception {
        // James 3.8.1's MailAddress parses IPv4 literals only (docs/smtp-checks.md, resolvable_fromhost)
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "client.example", "a@[IPv6:2001:db8::1]")).startsWith("501 ");
    }

    @Test
    void refusesSendersWhoseDomainPublishesANullMx(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "client.example", "a@nullmx.example"))
            .isEqualTo("550 5.7.27 Sender domain nullmx.example does not accept mail (null MX)");
    }

    @Test
    void neverChecksTheNullSender(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.mailFromReply(server, "127.0.0.23", "badhelo.example", "")).startsWith("250 ");
    }
}
