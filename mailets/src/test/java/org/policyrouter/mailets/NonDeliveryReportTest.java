package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.dnsservice.api.InMemoryDNSService;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.MailetContext;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's fault run: every report carried its whole original (up to 50 MB), so draining a
 * backlog of failed mail doubled the spool's use when it had least room. Beyond
 * {@code attachmentSizeLimit} (Postfix's bounce_size_limit, 50,000 bytes) only the headers go back.
 */
class NonDeliveryReportTest {
    static final String BODY_LINE = "x".repeat(76);

    static MailImpl failed(int bodyLines) throws Exception {
        MailImpl mail = MailImpl.builder().name("1A2B.1.b1").state("undeliverable").sender("sender@client.example")
            .addRecipient("unknown@a.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("large").setText((BODY_LINE + "\r\n").repeat(bodyLines)))
            .build();
        DeliveryOutcomes.markFailed(mail, "next-hop", java.util.List.of(new MailAddress("unknown@a.example")), "550 5.1.1 no such user");
        return mail;
    }

    static String reportFor(MailImpl mail, String limit) throws Exception {
        FakeMailContext context = FakeMailContext.builder().postmaster(new MailAddress("postmaster@router.example")).build();
        NonDeliveryReport report = new NonDeliveryReport(new InMemoryDNSService(), new RecordingMetricFactory());
        FakeMailetConfig.Builder config = FakeMailetConfig.builder().mailetName("ndr").mailetContext(context).setProperty("passThrough", "true");
        if (limit != null) {
            config.setProperty("attachmentSizeLimit", limit);
        }
        report.init(config.build());
        report.service(mail);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        context.getSentMails().get(0).getMsg().writeTo(bytes);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void anOriginalOverTheLimitGoesBackWithItsHeadersOnly() throws Exception {
        MailImpl mail = failed(1000);

        String report = reportFor(mail, null);

        assertThat(report).contains("text/rfc822-headers", "Subject: large").doesNotContain(BODY_LINE);
        assertThat(report.length()).isLessThan(10_000);
        assertThat(mail.dsnParameters()).as("the failed mail keeps what its sender asked for").isEmpty();
    }

    @Test
    void anOriginalWithinTheLimitGoesBackWhole() throws Exception {
        String report = reportFor(failed(100), null);

        assertThat(report).contains("message/rfc822", "Subject: large", BODY_LINE);
    }

    @Test
    void theLimitIsConfigurableAndZeroRemovesIt() throws Exception {
        assertThat(reportFor(failed(100), "1K")).contains("text/rfc822-headers").doesNotContain(BODY_LINE);
        assertThat(reportFor(failed(1000), "0")).contains("message/rfc822", BODY_LINE);
    }

    /** The fault run lost 3,930 reports this way: the report failed on a full disk and the mail went on to be dropped. */
    @Test
    void aReportThatCannotBeQueuedFailsTheMailetSoTheMailStaysInTheSpool() throws Exception {
        FakeMailContext context = FakeMailContext.builder().postmaster(new MailAddress("postmaster@router.example")).build();
        MailetContext full = (MailetContext) Proxy.newProxyInstance(MailetContext.class.getClassLoader(), new Class<?>[] {MailetContext.class},
            (proxy, method, args) -> {
                if (method.getName().equals("sendMail")) {
                    throw new MessagingException("cannot spool the report", new IOException("No space left on device"));
                }
                return method.invoke(context, args);
            });
        NonDeliveryReport report = new NonDeliveryReport(new InMemoryDNSService(), new RecordingMetricFactory());
        report.init(FakeMailetConfig.builder().mailetName("ndr").mailetContext(full).setProperty("passThrough", "true").build());
        MailImpl mail = failed(10);

        assertThatThrownBy(() -> report.service(mail)).isInstanceOf(MessagingException.class)
            .hasMessageContaining("could not be queued").hasRootCauseMessage("No space left on device");
        assertThat(mail.getState()).isEqualTo("undeliverable");
    }

    @Test
    void theSendersRetAndEnvidSurviveTheReport() throws Exception {
        MailImpl mail = failed(1000);
        DsnParameters asked = DsnParameters.builder().envId(DsnParameters.EnvId.of("envid-1")).ret(DsnParameters.Ret.FULL).build().orElseThrow();
        mail.setDsnParameters(asked);

        String report = reportFor(mail, null);

        assertThat(report).contains("text/rfc822-headers", "Original-Envelope-Id: envid-1").doesNotContain(BODY_LINE);
        assertThat(mail.dsnParameters()).contains(asked);
    }
}
