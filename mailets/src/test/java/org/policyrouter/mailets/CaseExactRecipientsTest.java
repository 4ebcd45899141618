package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.policy.RoutingAttributes;

/**
 * Issue 19, item 2: {@code case@ok.test} and {@code CASE@ok.test} are two recipients (RFC 5321
 * 2.4: the local part is case-sensitive), but James's {@code MailAddress.equals} ignores its case,
 * so every {@code Map}/{@code Set} keyed by MailAddress merged them and one vanished without a
 * log line or a report. Each step of ours keeps both, each with its own outcome.
 */
class CaseExactRecipientsTest {
    @TempDir
    Path policy;

    private static MailImpl mail(String... recipients) throws Exception {
        MailImpl.Builder builder = MailImpl.builder().name("CASE1").state("routed").sender("sender@client.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("twins").setText("body"));
        for (String recipient : recipients) {
            builder.addRecipient(recipient);
        }
        return builder.build();
    }

    private static String addresses(java.util.Collection<MailAddress> recipients) {
        return recipients.stream().map(MailAddress::asString).collect(Collectors.joining(" "));
    }

    @Test
    void relayDeliveryGivesEachTwinItsOwnRcptAndItsOwnOutcome() throws Exception {
        try (RecordingSmtpServer nextHop = new RecordingSmtpServer(Set.of("CASE@ok.test"))) {
            RecordingMailetContext context = new RecordingMailetContext();
            RecordingMetricFactory metrics = new RecordingMetricFactory();
            RelayDelivery relay = new RelayDelivery(metrics);
            relay.init(FakeMailetConfig.builder().mailetName("relay").mailetContext(context.context).setProperty("connectTimeout", "2s").build());
            MailImpl mail = mail("case@ok.test", "CASE@ok.test");
            mail.setAttribute(new Attribute(AttributeName.of(RoutingAttributes.RELAY_HOSTS), AttributeValue.of(nextHop.hostAndPort())));

            relay.service(mail);

            assertThat(nextHop.recipients()).containsExactly("case@ok.test", "CASE@ok.test");
            assertThat(nextHop.accepted()).containsExactly("case@ok.test");
            // the refused twin, and only it, goes on to the report
            assertThat(context.sent).singleElement().satisfies(bounce -> {
                assertThat(bounce.state).isEqualTo("undeliverable");
                assertThat(addresses(bounce.recipients)).isEqualTo("CASE@ok.test");
            });
            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            assertThat(metrics.countFor("policyrouter.delivery.sent")).isEqualTo(1);
            assertThat(metrics.countFor("policyrouter.delivery.bounced")).isEqualTo(1);
        }
    }

    @Test
    void rewritingTheDomainKeepsBothTwins() throws Exception {
        Files.writeString(policy.resolve("rewrite"), "to old.example ok.test\n");
        RewriteAddresses rewrite = new RewriteAddresses(new FileSystem() {
            @Override
            public InputStream getResource(String url) {
                throw new UnsupportedOperationException(url);
            }

            @Override
            public File getFile(String fileUrl) {
                return policy.toFile();
            }

            @Override
            public File getBasedir() {
                return policy.toFile();
            }
        });
        rewrite.init(FakeMailetConfig.builder().mailetName("rewrite").mailetContext(new RecordingMailetContext().context)
            .setProperty("reloadInterval", "0").setProperty("me", "router.example").build());
        try {
            MailImpl mail = mail("case@old.example", "CASE@old.example", "case@ok.test");

            rewrite.service(mail);

            // the third is the first twin again, exactly: one recipient
            assertThat(addresses(mail.getRecipients())).isEqualTo("case@ok.test CASE@ok.test");
        } finally {
            rewrite.destroy();
        }
    }
}
