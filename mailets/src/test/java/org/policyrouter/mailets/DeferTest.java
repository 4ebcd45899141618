package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.spool.SpoolAttributes;
import org.policyrouter.spool.SpoolMailRepository;
import org.policyrouter.spool.SpoolRepositories;
import org.policyrouter.spool.StoredMail;

class DeferTest {
    static final Instant NOW = Instant.parse("2026-11-21T10:00:00Z");

    @TempDir
    Path workingDirectory;
    SpoolRepositories repositories;
    FakeMailContext context;
    Defer defer;

    @BeforeEach
    void setUp() {
        repositories = new SpoolRepositories(workingDirectory);
        context = FakeMailContext.defaultContext();
    }

    @AfterEach
    void tearDown() {
        if (defer != null) {
            defer.destroy();
        }
    }

    void init(String... parameters) throws Exception {
        defer = new Defer(repositories, new RecordingMetricFactory(), Clock.fixed(NOW, ZoneOffset.UTC));
        FakeMailetConfig.Builder config = FakeMailetConfig.builder().mailetName("deferred").mailetContext(context)
            .setProperty("repositoryPath", "spool://var/spool/deferred");
        for (int i = 0; i < parameters.length; i += 2) {
            config.setProperty(parameters[i], parameters[i + 1]);
        }
        defer.init(config.build());
    }

    SpoolMailRepository deferred() {
        return repositories.spool("spool://var/spool/deferred");
    }

    static Mail failedMail(String name, Duration inQueue, int earlierFailures) throws Exception {
        MailImpl mail = MailImpl.builder().name(name).sender("sender@client.example").addRecipient("user@down.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("hello").setText("body"))
            .addAttribute(new Attribute(SpoolAttributes.ARRIVAL, AttributeValue.of(NOW.minus(inQueue).toEpochMilli())))
            .addAttribute(new Attribute(SpoolAttributes.QUEUE_ID, AttributeValue.of("QID1")))
            .build();
        if (earlierFailures > 0) {
            mail.setAttribute(new Attribute(SpoolAttributes.RETRIES, AttributeValue.of(earlierFailures)));
        }
        mail.setAttribute(new Attribute(SpoolAttributes.DELIVERY_ERROR, AttributeValue.of("451 4.3.0 try again later")));
        return mail;
    }

    @Test
    void keepsAFailedMailWithItsAttemptCountAndAgeBasedNextAttempt() throws Exception {
        init();
        Mail mail = failedMail("m1", Duration.ofMinutes(20), 2);

        defer.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        StoredMail stored = deferred().entry(new MailKey("m1")).orElseThrow();
        assertThat(stored.retries()).isEqualTo(3);
        assertThat(stored.queueId()).isEqualTo("QID1");
        assertThat(stored.lastError()).contains("451 4.3.0 try again later");
        assertThat(Instant.ofEpochMilli(stored.nextAttempt().orElseThrow()))
            .isBetween(NOW.plus(Duration.ofMinutes(18)), NOW.plus(Duration.ofMinutes(22)));
    }

    @Test
    void waitsTheMinimalBackoffAfterAFirstFailure() throws Exception {
        init("jitter", "0%");

        defer.service(failedMail("m1", Duration.ofSeconds(3), 0));

        assertThat(deferred().entry(new MailKey("m1")).orElseThrow().nextAttempt()).contains(NOW.plus(Duration.ofMinutes(5)).toEpochMilli());
    }

    @Test
    void followsAnExplicitRetrySchedule() throws Exception {
        init("retrySchedule", "1m, 5m*2, 1h", "jitter", "0");

        defer.service(failedMail("m1", Duration.ofMinutes(7), 2));

        assertThat(deferred().entry(new MailKey("m1")).orElseThrow().nextAttempt()).contains(NOW.plus(Duration.ofMinutes(5)).toEpochMilli());
    }

    @Test
    void sendsAMailPastTheQueueLifetimeToExpired() throws Exception {
        init("queueLifetime", "5d");
        Mail mail = failedMail("m1", Duration.ofDays(5).plusSeconds(1), 40);

        defer.service(mail);

        assertThat(mail.getState()).isEqualTo("expired");
        assertThat(deferred().size()).isZero();
    }

    @Test
    void makesTheLastAttemptWhenTheLifetimeEnds() throws Exception {
        init("queueLifetime", "5d", "jitter", "0");

        defer.service(failedMail("m1", Duration.ofDays(5).minusMinutes(2), 40));

        assertThat(deferred().entry(new MailKey("m1")).orElseThrow().nextAttempt()).contains(NOW.plus(Duration.ofMinutes(2)).toEpochMilli());
    }

    @Test
    void warnsTheSenderOnceWhenTheDelayWarningIsOn() throws Exception {
        init("delayWarningAfter", "1h");
        Mail mail = failedMail("m1", Duration.ofHours(2), 3);

        defer.service(mail);

        assertThat(context.getSentMails()).singleElement().satisfies(sent -> assertThat(sent.getState()).isEqualTo("delay-warning"));
        Mail stored = deferred().retrieve(new MailKey("m1"));
        assertThat(SpoolAttributes.delayWarned(stored)).isTrue();

        defer.service(stored);
        assertThat(context.getSentMails()).hasSize(1);
    }

    @Test
    void sendsNoDelayWarningByDefault() throws Exception {
        init();

        defer.service(failedMail("m1", Duration.ofDays(2), 30));

        assertThat(context.getSentMails()).isEmpty();
    }
}
