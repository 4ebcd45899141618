package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** qpsmtpd's helo plugin, policy lenient (no DNS), through the bundled James. */
class HeloIT {
    static final String OUTSIDE = "127.0.0.30";
    static final QpsmtpdChain CHAIN = QpsmtpdChain.withControlDirectory()
        .write("badhelo", "yahoo.com", "^mail[0-9]+\\.example$", "^dsl-.*\\.example$", "!^[^_]+$")
        .write("me", "mx.policyrouter.test");

    @RegisterExtension
    static JamesServerExtension james = CHAIN.james(CHAIN.handler("Helo", "<policy>lenient</policy>")).build();

    /** The reply to EHLO, and whether the server hung up after it. */
    @Test
    void acceptsAnOrdinaryName(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "client.example")).isEqualTo("250");
    }

    @Test
    void refusesAListedNameAndHangsUp(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "Yahoo.COM")).isEqualTo("550 5.7.1 I do not believe you are Yahoo.COM. [closed]");
    }

    @Test
    void triesEveryRegexLineNotOnlyTheFirst(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "mail7.example")).isEqualTo("550 5.7.1 Your HELO hostname is not allowed [closed]");
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "dsl-10-1-2-3.example")).isEqualTo("550 5.7.1 Your HELO hostname is not allowed [closed]");
    }

    @Test
    void aLeadingBangRefusesNamesThatDoNotMatch(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "under_score.example")).isEqualTo("550 5.7.1 Your HELO hostname is not allowed [closed]");
    }

    @Test
    void refusesAPlainIpAddress(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "192.0.2.1")).isEqualTo("550 5.7.1 Plain IP is invalid HELO hostname (RFC 2821) [closed]");
    }

    @Test
    void acceptsOnlyTheClientsOwnAddressLiteral(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "[192.0.2.1]")).isEqualTo("550 5.7.1 Forged IPs not accepted here [closed]");
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "[" + OUTSIDE + "]")).isEqualTo("250");
    }

    @Test
    void refusesLocalhostFromAnotherAddress(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "localhost")).isEqualTo("550 5.7.1 You are not localhost [closed]");
    }

    @Test
    void refusesAStrangerClaimingOurName(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, OUTSIDE, "MX.policyrouter.test"))
            .isEqualTo("550 5.7.1 I do not believe you are MX.policyrouter.test. [closed]");
    }

    @Test
    void relayClientsAreNotChecked(GuiceJamesServer server) throws Exception {
        assertThat(QpsmtpdChain.ehloReply(server, QpsmtpdChain.INSIDE, "yahoo.com")).isEqualTo("250");
        assertThat(QpsmtpdChain.ehloReply(server, QpsmtpdChain.INSIDE, "localhost")).isEqualTo("250");
    }
}
