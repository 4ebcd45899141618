package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;
import org.policyrouter.policy.RoutingAttributes;

/** A mailet's {@code <timeout>} means what the same number means everywhere else: seconds. */
class PipeTimeoutTest {
    private final FakeMailContext context = FakeMailContext.defaultContext();
    private final RecordingMetricFactory metrics = new RecordingMetricFactory();

    private PipeDelivery pipeWithTimeout(String timeout) throws MessagingException {
        PipeDelivery mailet = new PipeDelivery(metrics);
        mailet.init(FakeMailetConfig.builder().mailetName("deliver-pipe").mailetContext(context)
            .setProperty("timeout", timeout).build());
        return mailet;
    }

    private static Mail mailTo(String nextHop) throws Exception {
        return FakeMail.builder().name("pipe-timeout").sender("sender@client.example")
            .recipient(new MailAddress("user@pipe.example"))
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("pipe").setText("body"))
            .attribute(new Attribute(AttributeName.of(RoutingAttributes.NEXT_HOP), AttributeValue.of(nextHop)))
            .build();
    }

    @Test
    void aBareNumberIsSecondsNotMilliseconds() throws Exception {
        // was 3 ms: the program was killed and the recipient deferred
        Mail mail = mailTo("|/bin/sh -c 'cat >/dev/null; sleep 0.3'");
        pipeWithTimeout("3").service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(metrics.countFor("policyrouter.delivery.sent")).isEqualTo(1);
    }

    @Test
    void aProgramPastTheTimeoutIsDeferred() throws Exception {
        Mail mail = mailTo("|/bin/sh -c 'cat >/dev/null; sleep 5'");
        pipeWithTimeout("300ms").service(mail);

        assertThat(mail.getState()).isEqualTo("deferred");
    }

    @Test
    void aMalformedTimeoutNamesTheMailetAndParameter() {
        assertThatThrownBy(() -> pipeWithTimeout("5 fortnights"))
            .isInstanceOf(MessagingException.class)
            .hasMessageStartingWith("deliver-pipe: parameter timeout: \"5 fortnights\" is not a duration");
    }
}
