package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.junit.jupiter.api.Test;
import org.policyrouter.policy.TlsLevel;

class RoutedNextHopTest {
    static Optional<TlsLevel> tlsOf(String nextHop) throws Exception {
        return RoutedNextHop.tls(RoutedMail.of(nextHop, "", MimeMessageBuilder.mimeMessageBuilder().setText("x"), "user@dest.test"));
    }

    @Test
    void aRulesTlsOptionIsTheLevelOfItsNextHop() throws Exception {
        assertThat(tlsOf("tls=verify smtp.secure.example:25")).contains(TlsLevel.VERIFY);
        assertThat(tlsOf("tls=encrypt mx")).contains(TlsLevel.ENCRYPT);
    }

    @Test
    void aNextHopWithoutTheOptionTakesTheAgentsLevel() throws Exception {
        assertThat(tlsOf("relay.example:25")).isEmpty();
        assertThat(tlsOf("mx")).isEmpty();
    }
}
