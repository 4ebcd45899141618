package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.SmtpConversation;

/** The DNS checks against a real DNS server (dnsmasq on loopback), queried directly (Netty's resolver). */
class DnsmasqIT {
    static final Dnsmasq DNS = Dnsmasq.start(List.of("test", "example", "in-addr.arpa"),
        "host-record=20.0.0.127.bl.test,127.0.0.2",
        "txt-record=20.0.0.127.bl.test,\"Listed by the test DNSBL\"",
        "mx-host=good.example,mx.good.example,10",
        "host-record=mx.good.example,192.0.2.10",
        "host-record=aonly.example,192.0.2.11",
        "host-record=client31.good.example,127.0.0.31",
        "ptr-record=31.0.0.127.in-addr.arpa,client31.good.example",
        "ptr-record=20.0.0.127.in-addr.arpa,listed20.good.example");
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory()
        .write("dnsbl_zones", "bl.test")
        .write("rcpthosts", "our.example");
    static final String DNS_OPTIONS = "<dnsServers>" + DNS.server() + "</dnsServers><dnsTimeout>2</dnsTimeout>";

    @RegisterExtension
    static JamesServerExtension james = CHAIN.james(
            CHAIN.handler("Helo", "<policy>rfc</policy>" + DNS_OPTIONS),
            CHAIN.handler("Dnsbl", DNS_OPTIONS),
            CHAIN.handler("ResolvableFromhost", DNS_OPTIONS),
            CHAIN.handler("RcptOk"))
        .build();

    @AfterAll
    static void stopDns() {
        DNS.close();
    }

    @Test
    void refusesAClientListedInARealDnsbl(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.20")) {
            smtp.command("EHLO [127.0.0.20]");
            assertThat(smtp.command("MAIL FROM:<a@good.example>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<user@our.example>")).isEqualTo("550 5.7.1 Listed by the test DNSBL");
        }
    }

    @Test
    void acceptsAClientWithMatchingForwardAndReverseDns(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.31")) {
            assertThat(smtp.command("EHLO client31.good.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<a@good.example>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<user@our.example>")).startsWith("250 ");
        }
    }

    @Test
    void rfcPolicyRefusesAHeloNameThatDoesNotExist(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, "127.0.0.31", "ghost.good.example")).isEqualTo("550 5.7.1 HELO hostname does not exist [closed]");
    }

    @Test
    void rfcPolicyRefusesAClientWithoutReverseDns(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, "127.0.0.32", "client31.good.example")).isEqualTo("550 5.7.1 no rDNS for 127.0.0.32 [closed]");
    }

    @Test
    void rfcPolicyRefusesAnUnqualifiedName(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, "127.0.0.31", "workstation")).isEqualTo("550 5.7.1 HELO name is not fully qualified. Read RFC 2821 [closed]");
    }

    @Test
    void resolvesSenderDomainsThroughTheRealServer(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.31")) {
            smtp.command("EHLO client31.good.example");
            assertThat(smtp.command("MAIL FROM:<a@aonly.example>")).startsWith("250 ");
            assertThat(smtp.command("RSET")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<a@nowhere.example>")).isEqualTo("450 4.1.8 FQDN required in the envelope sender");
        }
    }
}
