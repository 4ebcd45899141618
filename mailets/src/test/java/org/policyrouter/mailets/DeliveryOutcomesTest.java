package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.policyrouter.policy.RoutingAttributes;
import org.policyrouter.spool.SpoolAttributes;

/**
 * After an attempt the mail itself continues with its temporarily failed recipients (a deferral
 * is a delayed enqueue of this mail, no copy); only permanently failed recipients are copied,
 * under a name that keeps the queue ID as prefix, and the copy is disposed once sent on.
 */
class DeliveryOutcomesTest {
    static final String TEMP_REPLY = "127.0.0.1:2526 said: 451 4.3.0 try again later";
    static final String PERM_REPLY = "127.0.0.1:2526 said: 550 5.1.1 no such user";

    RecordingMailetContext context;
    RecordingMetricFactory metrics;
    DeliveryOutcomes outcomes;

    @BeforeEach
    void setUp() {
        context = new RecordingMailetContext();
        metrics = new RecordingMetricFactory();
        outcomes = new DeliveryOutcomes(context.context, "deferred", "undeliverable", metrics);
    }

    static MailImpl mail(String name, String... recipients) throws Exception {
        MailImpl.Builder builder = MailImpl.builder().name(name).state("routed").sender("sender@client.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("hello").setText("body"));
        for (String recipient : recipients) {
            builder.addRecipient(recipient);
        }
        return builder.build();
    }

    static MailAddress address(String address) throws Exception {
        return new MailAddress(address);
    }

    /** The entries as strings (James keeps a list attribute as a list of AttributeValues). */
    static List<String> errorLog(Mail mail) {
        return ((Collection<?>) mail.getAttribute(DeliveryOutcomes.ERROR_LOG).orElseThrow().getValue().value()).stream()
            .map(entry -> String.valueOf(((AttributeValue<?>) entry).value()))
            .collect(Collectors.toList());
    }

    @Test
    void theMailItselfContinuesToDeferredWithItsTemporarilyFailedRecipientsAndNoCopyIsMade() throws Exception {
        MailImpl mail = mail("1A2B3C", "ok@relay.example", "soft@relay.example");
        RecipientOutcomes results = new RecipientOutcomes();
        results.put(address("ok@relay.example"), RecipientOutcome.delivered("250 OK"));
        results.put(address("soft@relay.example"), RecipientOutcome.temporaryFailure(TEMP_REPLY));

        outcomes.apply(mail, "127.0.0.1:2526", results);

        assertThat(context.sent).isEmpty();
        assertThat(mail.getName()).isEqualTo("1A2B3C");
        assertThat(mail.getState()).isEqualTo("deferred");
        assertThat(mail.getRecipients()).containsExactly(address("soft@relay.example"));
        assertThat(mail.getErrorMessage()).isEqualTo(TEMP_REPLY);
        assertThat(SpoolAttributes.lastError(mail)).contains(TEMP_REPLY);
        assertThat(errorLog(mail)).singleElement().satisfies(entry -> assertThat(entry).endsWith(" 127.0.0.1:2526 " + TEMP_REPLY));
    }

    @Test
    void countsEachRecipientPerOutcomeAndPerNextHopType() throws Exception {
        MailImpl mail = mail("1A2B3C", "ok@relay.example", "soft@relay.example", "hard@relay.example");
        mail.setAttribute(new Attribute(AttributeName.of(RoutingAttributes.NEXT_HOP_TYPE), AttributeValue.of("qmail-queue")));
        RecipientOutcomes results = new RecipientOutcomes();
        results.put(address("ok@relay.example"), RecipientOutcome.delivered("250 OK"));
        results.put(address("soft@relay.example"), RecipientOutcome.temporaryFailure(TEMP_REPLY));
        results.put(address("hard@relay.example"), RecipientOutcome.permanentFailure(PERM_REPLY));

        outcomes.apply(mail, "/var/qmail/bin/qmail-queue", results);

        assertThat(metrics.countFor("policyrouter.delivery.sent")).isEqualTo(1);
        assertThat(metrics.countFor("policyrouter.delivery.sent.qmail-queue")).isEqualTo(1);
        assertThat(metrics.countFor("policyrouter.delivery.deferred.qmail-queue")).isEqualTo(1);
        assertThat(metrics.countFor("policyrouter.delivery.bounced.qmail-queue")).isEqualTo(1);
        assertThat(metrics.countFor("policyrouter.delivery.sent.smtp")).isZero();
    }

    @Test
    void eachFailedAttemptIsAppendedToTheErrorLog() throws Exception {
        MailImpl mail = mail("1A2B3C", "soft@relay.example");
        mail.setAttribute(new Attribute(DeliveryOutcomes.ERROR_LOG, AttributeValue.of(List.of(AttributeValue.of("earlier attempt")))));

        outcomes.apply(mail, "127.0.0.1:2526", new RecipientOutcomes().put(address("soft@relay.example"), RecipientOutcome.temporaryFailure(TEMP_REPLY)));

        assertThat(errorLog(mail)).hasSize(2).first().isEqualTo("earlier attempt");
    }

    @Test
    void permanentlyFailedRecipientsAreCopiedToUndeliverableAsNameDotBAttemptAndTheCopyIsDisposed() throws Exception {
        MailImpl mail = mail("1A2B3C", "soft@relay.example", "gone@relay.example");
        // two earlier temporary failures: this is attempt 3
        mail.setAttribute(new Attribute(SpoolAttributes.RETRIES, AttributeValue.of(2)));
        RecipientOutcomes results = new RecipientOutcomes();
        results.put(address("soft@relay.example"), RecipientOutcome.temporaryFailure(TEMP_REPLY));
        results.put(address("gone@relay.example"), RecipientOutcome.permanentFailure(PERM_REPLY));

        outcomes.apply(mail, "127.0.0.1:2526", results);

        assertThat(context.sent).singleElement().satisfies(bounce -> {
            assertThat(bounce.name).isEqualTo("1A2B3C.b3");
            assertThat(bounce.state).isEqualTo("undeliverable");
            assertThat(bounce.recipients).containsExactly(address("gone@relay.example"));
            assertThat(bounce.disposed()).isTrue();
        });
        assertThat(context.fake.getSentMails()).singleElement().satisfies(bounce ->
            assertThat(bounce.getAttributes().get(DeliveryOutcomes.DELIVERY_ERROR).getValue().value()).isEqualTo(PERM_REPLY));
        assertThat(mail.getState()).isEqualTo("deferred");
        assertThat(mail.getRecipients()).containsExactly(address("soft@relay.example"));
        assertThat(SpoolAttributes.lastError(mail)).contains(TEMP_REPLY);
    }

    @Test
    void withoutATemporaryFailureTheMailEnds() throws Exception {
        MailImpl mail = mail("1A2B3C", "ok@relay.example", "gone@relay.example");
        RecipientOutcomes results = new RecipientOutcomes();
        results.put(address("ok@relay.example"), RecipientOutcome.delivered("250 OK"));
        results.put(address("gone@relay.example"), RecipientOutcome.permanentFailure(PERM_REPLY));

        outcomes.apply(mail, "127.0.0.1:2526", results);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(context.sent).extracting(sent -> sent.name).containsExactly("1A2B3C.b1");
    }

    @Test
    void aRejectionBeforeDeliveryCopiesTheRefusedRecipientsDisposesOfTheCopiesAndTheMailGoesOnWithTheOthers() throws Exception {
        MailImpl mail = mail("1A2B3C", "known@mda.example", "unknown@mda.example", "later@mda.example");
        RecipientOutcomes failures = new RecipientOutcomes();
        failures.put(address("unknown@mda.example"), RecipientOutcome.permanentFailure("5.1.1 unknown alias"));
        failures.put(address("later@mda.example"), RecipientOutcome.temporaryFailure("4.3.0 aliases unavailable"));

        outcomes.reject(mail, "/usr/bin/maildrop", failures);

        assertThat(context.sent).extracting(sent -> sent.name + " " + sent.state + " " + sent.recipients)
            .containsExactly("1A2B3C.r1 undeliverable [unknown@mda.example]", "1A2B3C.d1 deferred [later@mda.example]");
        assertThat(context.sent).allSatisfy(sent -> assertThat(sent.disposed()).isTrue());
        assertThat(mail.getState()).isEqualTo("routed");
        assertThat(mail.getRecipients()).containsExactly(address("known@mda.example"));
    }

    @Test
    void aRejectionThatLeavesOnlyTemporaryFailuresSendsTheMailItselfToDeferred() throws Exception {
        MailImpl mail = mail("1A2B3C", "unknown@mda.example", "later@mda.example");
        RecipientOutcomes failures = new RecipientOutcomes();
        failures.put(address("unknown@mda.example"), RecipientOutcome.permanentFailure("5.1.1 unknown alias"));
        failures.put(address("later@mda.example"), RecipientOutcome.temporaryFailure("4.3.0 aliases unavailable"));

        outcomes.reject(mail, "/usr/bin/maildrop", failures);

        assertThat(context.sent).extracting(sent -> sent.name + " " + sent.state).containsExactly("1A2B3C.r1 undeliverable");
        assertThat(mail.getName()).isEqualTo("1A2B3C");
        assertThat(mail.getState()).isEqualTo("deferred");
        assertThat(mail.getRecipients()).containsExactly(address("later@mda.example"));
        assertThat(mail.getErrorMessage()).isEqualTo("4.3.0 aliases unavailable");
    }

    @Test
    void aRejectionOfEveryRecipientForGoodEndsTheMail() throws Exception {
        MailImpl mail = mail("1A2B3C", "unknown@mda.example");

        outcomes.reject(mail, "/usr/bin/maildrop", new RecipientOutcomes().put(address("unknown@mda.example"), RecipientOutcome.permanentFailure("5.1.1 unknown alias")));

        assertThat(context.sent).extracting(sent -> sent.name).containsExactly("1A2B3C.r1");
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }
}
