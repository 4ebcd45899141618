package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.dnsservice.api.InMemoryDNSService;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.memory.MemoryMailQueueFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.policyrouter.spool.SpoolAttributes;

/**
 * Issue 19, item 7: a message whose recipients failed at three next hops reached the
 * undeliverable processor as three mails ({@code ID.1.b1}, {@code ID.2.b1}, {@code ID.3.b1}) and
 * its sender got three reports. CollectFailures makes the parts that fail within a window one
 * report, listing every recipient with its own reply; a crash may repeat a report, never lose one.
 */
class OneReportPerMessageTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC);

    MemoryMailQueueFactory queues;
    CollectFailures collect;

    @BeforeEach
    void setUp() throws Exception {
        queues = new MemoryMailQueueFactory(new RawMailQueueItemDecoratorFactory());
        collect = collector();
    }

    @AfterEach
    void tearDown() {
        collect.destroy();
        queues.clean();
    }

    private CollectFailures collector() throws Exception {
        CollectFailures mailet = new CollectFailures(queues, CLOCK);
        mailet.init(FakeMailetConfig.builder().mailetName("collect").mailetContext(FakeMailContext.defaultContext()).build());
        return mailet;
    }

    /** A part of message 1A2B that failed at one next hop, as DeliveryOutcomes sends it on. */
    static MailImpl failedPart(String name, String recipient, String reply) throws Exception {
        MailImpl mail = MailImpl.builder().name(name).state("undeliverable").sender("sender@client.example").addRecipient(recipient)
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("three next hops").setText("body"))
            .addAttribute(new Attribute(SpoolAttributes.QUEUE_ID, AttributeValue.of("1A2B")))
            .build();
        DeliveryOutcomes.markFailed(mail, "next-hop", List.of(new MailAddress(recipient)), reply);
        return mail;
    }

    /** What the queue holds, taken out as James's spooler would once their wait is over. */
    private List<Mail> due() throws Exception {
        ManageableMailQueue queue = queues.getQueue(MailQueueName.of("spool")).orElseThrow();
        List<Mail> mails = new ArrayList<>();
        queue.browse().forEachRemaining(item -> mails.add(item.getMail()));
        queue.clear();
        return mails;
    }

    private static List<String> recipients(Mail mail) {
        return mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.toList());
    }

    @Test
    void partsOfOneMessageFailingTogetherMakeOneMailToReportWithEveryRecipientAndItsOwnReply() throws Exception {
        List<MailImpl> parts = List.of(
            failedPart("1A2B.1.b1", "unknown@a.example", "10.0.0.1:25 said: 550 5.1.1 <unknown@a.example>: no such user"),
            failedPart("1A2B.2.b1", "unknown@b.example", "10.0.0.2:25 said: 550 5.7.1 relaying denied"),
            failedPart("1A2B.3.b1", "unknown@c.example", "10.0.0.3:25 said: 552 5.2.2 mailbox full"));
        for (MailImpl part : parts) {
            collect.service(part);
            assertThat(part.getState()).as("waits in the queue").isEqualTo(Mail.GHOST);
        }

        List<Mail> due = due();
        assertThat(due).hasSize(3).allSatisfy(mail -> assertThat(mail.getState()).isEqualTo("undeliverable"));
        List<Mail> reporting = new ArrayList<>();
        for (Mail mail : due) {
            collect.service(mail);
            if (!mail.getState().equals(Mail.GHOST)) {
                reporting.add(mail);
            }
        }

        assertThat(reporting).singleElement().satisfies(mail -> {
            assertThat(recipients(mail)).containsExactly("unknown@a.example", "unknown@b.example", "unknown@c.example");
            assertThat(RecipientErrors.of(mail)).containsExactly(
                Map.entry("unknown@a.example", "10.0.0.1:25 said: 550 5.1.1 <unknown@a.example>: no such user"),
                Map.entry("unknown@b.example", "10.0.0.2:25 said: 550 5.7.1 relaying denied"),
                Map.entry("unknown@c.example", "10.0.0.3:25 said: 552 5.2.2 mailbox full"));
            assertThat(mail.getAttribute(CollectFailures.REPORT_AT)).isEmpty();
        });
    }

    @Test
    void aPartFailingAfterTheReportWasSentGetsAReportOfItsOwn() throws Exception {
        collect.service(failedPart("1A2B.1.b1", "unknown@a.example", "550 no"));
        Mail first = due().get(0);
        collect.service(first);
        assertThat(first.getState()).isEqualTo("undeliverable");

        collect.service(failedPart("1A2B.2.b2", "unknown@b.example", "550 no"));
        Mail later = due().get(0);
        collect.service(later);

        assertThat(later.getState()).isEqualTo("undeliverable");
        assertThat(recipients(later)).containsExactly("unknown@b.example");
    }

    @Test
    void afterARestartEveryPartStillWaitingReportsForItself() throws Exception {
        collect.service(failedPart("1A2B.1.b1", "unknown@a.example", "550 no"));
        collect.service(failedPart("1A2B.2.b1", "unknown@b.example", "550 no"));
        List<Mail> due = due();

        // a new process: what was gathered is gone, what waits in the queue is not
        collect.destroy();
        collect = collector();
        for (Mail mail : due) {
            collect.service(mail);
        }

        assertThat(due).extracting(Mail::getState).containsExactly("undeliverable", "undeliverable");
        assertThat(due).extracting(OneReportPerMessageTest::recipients)
            .containsExactly(List.of("unknown@a.example"), List.of("unknown@b.example"));
    }

    @Test
    void aMailFromTheNullSenderGetsNoReportAndDoesNotWait() throws Exception {
        MailImpl bounce = failedPart("1A2B.1.b1", "unknown@a.example", "550 no");
        bounce.setSender(null);

        collect.service(bounce);

        assertThat(bounce.getState()).isEqualTo("undeliverable");
        assertThat(due()).isEmpty();
    }

    @Test
    void theReportGivesEachRecipientItsOwnStatusAndReply() throws Exception {
        MailImpl mail = failedPart("1A2B.1.b1", "unknown@a.example", "10.0.0.1:25 said: 550 5.1.1 <unknown@a.example>: no such user");
        mail.setRecipients(List.of(new MailAddress("unknown@a.example"), new MailAddress("full@c.example"), new MailAddress("gone@d.example")));
        RecipientErrors.set(mail, Map.of(
            "unknown@a.example", "10.0.0.1:25 said: 550 5.1.1 <unknown@a.example>: no such user",
            "full@c.example", "10.0.0.3:25 said: 552 mailbox full",
            "gone@d.example", "5.4.6 routing loop detected: handed to another processor 50 times"));
        FakeMailContext context = FakeMailContext.builder().postmaster(new MailAddress("postmaster@router.example")).build();
        NonDeliveryReport report = new NonDeliveryReport(new InMemoryDNSService(), new RecordingMetricFactory());
        report.init(FakeMailetConfig.builder().mailetName("ndr").mailetContext(context).setProperty("passThrough", "true").build());

        report.service(mail);

        assertThat(context.getSentMails()).singleElement().satisfies(sent -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            sent.getMsg().writeTo(bytes);
            String text = bytes.toString(StandardCharsets.UTF_8).replace("\r\n", "\n");
            assertThat(text).contains(
                "Final-Recipient: rfc822; unknown@a.example\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; 10.0.0.1\n"
                    + "Diagnostic-Code: smtp; 550 5.1.1 <unknown@a.example>: no such user\n",
                "Final-Recipient: rfc822; full@c.example\nAction: failed\nStatus: 5.0.0\nRemote-MTA: dns; 10.0.0.3\n"
                    + "Diagnostic-Code: smtp; 552 mailbox full\n",
                "Final-Recipient: rfc822; gone@d.example\nAction: failed\nStatus: 5.4.6\n"
                    + "Diagnostic-Code: X-James; 5.4.6 routing loop detected: handed to another processor 50 times\n",
                "Failed recipient(s):\nunknown@a.example: 10.0.0.1:25 said: 550 5.1.1 <unknown@a.example>: no such user\n"
                    + "full@c.example: 10.0.0.3:25 said: 552 mailbox full\n",
                "Reporting-MTA: dns; ");
            // the report starts a life of its own: none of our routing bookkeeping
            assertThat(sent.getAttributes()).doesNotContainKeys(RecipientErrors.NAME, NextHopProcessor.HOPS);
        });
        assertThat(RecipientErrors.of(mail)).as("the failed mail keeps its own").hasSize(3);
    }

    @Test
    void theGathererForgetsEventsAfterAnHourSoItsMemoryStaysBounded() {
        FailureGatherer gatherer = new FailureGatherer(java.time.Duration.ofSeconds(10));
        gatherer.add("1A2B", new FailureGatherer.Part("1A2B.1.b1", List.of("a@x.example"), Map.of()), 0);
        gatherer.add("3C4D", new FailureGatherer.Part("3C4D.1.b1", List.of("b@x.example"), Map.of()), 0);
        gatherer.claim("3C4D", "3C4D.1.b1", 1000);
        assertThat(gatherer.size()).isEqualTo(2);

        // one open (its part deleted by an operator), one reported: both gone after the retention
        gatherer.add("5E6F", new FailureGatherer.Part("5E6F.1.b1", List.of("c@x.example"), Map.of()), 3_700_000);

        assertThat(gatherer.size()).isEqualTo(1);
        assertThat(gatherer.claim("1A2B", "1A2B.1.b1", 3_700_000).others).isEmpty();
    }
}
