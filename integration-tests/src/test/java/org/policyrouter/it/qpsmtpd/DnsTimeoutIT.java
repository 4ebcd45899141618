package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.SmtpConversation;

/** A DNS server that never answers costs at most the configured timeout and gives the temporary answer. */
class DnsTimeoutIT {
    static final Duration TIMEOUT = Duration.ofMillis(1500);
    static final SilentDnsServer SILENT = SilentDnsServer.start();
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory()
        .write("dnsbl_zones", "bl.test")
        .write("rcpthosts", "our.example");
    static final String DNS_OPTIONS = "<dnsServers>" + SILENT.server() + "</dnsServers><dnsTimeout>1.5</dnsTimeout>";

    @RegisterExtension
    static JamesServerExtension james = CHAIN.james(
            CHAIN.handler("Dnsbl", DNS_OPTIONS + "<dnsFailure>temp</dnsFailure>"),
            CHAIN.handler("ResolvableFromhost", DNS_OPTIONS),
            CHAIN.handler("RcptOk"))
        .build();

    @AfterAll
    static void stopDns() {
        SILENT.close();
    }

    @Test
    void aSilentServerDefersTheSenderWithinTheTimeout(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.40")) {
            smtp.command("EHLO client.example");
            long start = System.nanoTime();
            assertThat(smtp.command("MAIL FROM:<a@unanswered.example>")).isEqualTo("450 4.4.3 Temporary address resolution failure");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusMillis(700));
        }
    }

    @Test
    void aSilentDnsblDefersTheRecipientWhenAskedTo(GuiceJamesServer server) throws Exception {
        long start = System.nanoTime();
        try (SmtpConversation smtp = QpsmtpdChain.client(server, "127.0.0.41")) {
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<user@our.example>")).isEqualTo("450 4.4.3 Temporary DNS failure, try again later");
        }
        // the lookup started at connect: the whole session waited for one timeout at most
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusMillis(700));
    }
}
