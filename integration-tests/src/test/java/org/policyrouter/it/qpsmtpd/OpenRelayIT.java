package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.api.InMemoryDNSService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.SmtpSink;

/**
 * The bundled configuration with every check enabled through conf/qpsmtpd/plugins: whatever the
 * checks answer (allow-listed by DNS, greylisting passed, naughty notes…), a client outside
 * relayclients and authorizedAddresses cannot relay to a foreign domain.
 */
class OpenRelayIT {
    static final SmtpSink FOREIGN = SmtpSink.start();
    static final String ALLOW_LISTED = "127.0.0.22";

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .editConf("smtpserver.xml", xml -> xml.replace("<authorizedAddresses>127.0.0.0/8</authorizedAddresses>",
            "<authorizedAddresses>127.0.0.1/32</authorizedAddresses>"))
        .withFile("qpsmtpd/plugins", String.join("\n",
            "hosts_allow", "count_unrecognized_commands 4", "relay", "dns_whitelist_soft", "dnsbl", "rhsbl",
            "helo policy lenient", "badmailfrom reject naughty", "badmailfromto", "badrcptto", "naughty reject rcpt",
            "rcpt_ok"))
        .withFile("qpsmtpd/relayclients", "127.0.0.5\n")
        .withFile("qpsmtpd/whitelist_zones", "wl.test\n")
        .withFile("qpsmtpd/dnsbl_zones", "bl.test\n")
        .withFile("qpsmtpd/rcpthosts", "our.example\n")
        .withFile("policy/transport", "foreign.example " + FOREIGN.hostAndPort() + "\n")
        .overrideModule(binder -> binder.bind(DNSService.class).toInstance(dns()))
        .build();

    static InMemoryDNSService dns() {
        try {
            return new InMemoryDNSService()
                .registerRecord("255.255.255.255", List.of(InetAddress.getByName("255.255.255.255")), List.of(), List.of())
                .registerRecord("22.0.0.127.wl.test", List.of(InetAddress.getByName("127.0.0.2")), List.of(), List.of("trusted partner"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stopSink() {
        FOREIGN.close();
    }

    @Test
    void noOutsideClientRelaysToAForeignDomainWhateverTheChecksSay(GuiceJamesServer server) throws Exception {
        FOREIGN.reset();
        List<String> recipients = List.of("user@foreign.example", "USER@Foreign.Example", "user%foreign.example@localhost",
            "@localhost:user@foreign.example", "\"user@foreign.example\"@localhost", "user@foreign.example.", "postmaster@foreign.example");
        for (String client : List.of("127.0.0.9", ALLOW_LISTED)) {
            for (String sender : List.of("a@client.example", "")) {
                try (SmtpConversation smtp = QpsmtpdChain.client(server, client)) {
                    smtp.command("EHLO client.example");
                    assertThat(smtp.command("MAIL FROM:<" + sender + ">")).startsWith("250 ");
                    for (String recipient : recipients) {
                        assertThat(smtp.command("RCPT TO:<" + recipient + ">"))
                            .as("%s relaying from <%s> to <%s>", client, sender, recipient)
                            .doesNotStartWith("2");
                    }
                    assertThat(smtp.command("DATA")).doesNotStartWith("354");
                }
            }
        }
        Thread.sleep(1000);
        assertThat(FOREIGN.messages()).isEmpty();
    }

    @Test
    void ourOwnDomainsAndRelayClientsStillWork(GuiceJamesServer server) throws Exception {
        FOREIGN.reset();
        try (SmtpConversation smtp = QpsmtpdChain.client(server, ALLOW_LISTED)) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<a@client.example>");
            assertThat(smtp.command("RCPT TO:<user@our.example>")).startsWith("250 ");
        }
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.5")) {
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<a@client.example>");
            assertThat(smtp.command("RCPT TO:<user@foreign.example>")).startsWith("250 ");
            assertThat(smtp.data("Subject: relayed\r\n\r\nbody\r\n")).startsWith("250 ");
        }
        assertThat(FOREIGN.awaitMessages(1)).hasSize(1);
    }
}
