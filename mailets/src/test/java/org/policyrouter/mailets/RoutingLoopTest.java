package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.memory.MemoryMailQueueFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.policyrouter.policy.RoutingAttributes;

/**
 * Issue 19, item 4: {@code queue/transport} handed the mail back to routing, which handed it to
 * NextHopProcessor again, inside one call, until a StackOverflowError. Each hand-over now counts a
 * hop; past {@code maxHops} every recipient fails with 5.4.6 and the mail goes, once, to the
 * undeliverable processor (one report).
 */
class RoutingLoopTest {
    static final AttributeName HOPS = AttributeName.of("org.policyrouter.hops");
    /** The default maxHops. */
    static final int MAX_HOPS = 50;

    private NextHopProcessor nextHopProcessor;

    @BeforeEach
    void setUp() throws Exception {
        nextHopProcessor = new NextHopProcessor();
        nextHopProcessor.init(FakeMailetConfig.builder().mailetName("queue").mailetContext(FakeMailContext.defaultContext()).build());
    }

    private static MailImpl mail(String nextHop) throws Exception {
        return MailImpl.builder().name("LOOP1").state("routed").sender("sender@client.example")
            .addRecipient("case@loop.example").addRecipient("CASE@loop.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("loop").setText("body"))
            .addAttribute(new Attribute(AttributeName.of(RoutingAttributes.NEXT_HOP), AttributeValue.of(nextHop)))
            .addAttribute(new Attribute(AttributeName.of(RoutingAttributes.RULE), AttributeValue.of("transport:1")))
            .build();
    }

    private static int hops(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, HOPS, Integer.class).orElse(0);
    }

    @Test
    void handsTheMailToTheNamedProcessorCountingOneHop() throws Exception {
        MailImpl mail = mail("queue/robots");

        nextHopProcessor.service(mail);

        assertThat(mail.getState()).isEqualTo("robots");
        assertThat(hops(mail)).isEqualTo(1);
    }

    @Test
    void aMailThatKeepsComingBackIsStoppedAsALoopAndGoesOnceToUndeliverable() throws Exception {
        MailImpl mail = mail("queue/transport");
        int handOvers = 0;
        // what James does with queue/transport: routing gives the mail the same next hop again
        while (mail.getState().equals("routed") && handOvers < 1000) {
            nextHopProcessor.service(mail);
            if (mail.getState().equals("transport")) {
                handOvers++;
                mail.setState("routed");
            }
        }

        assertThat(handOvers).isEqualTo(MAX_HOPS);
        assertThat(mail.getState()).isEqualTo("undeliverable");
        assertThat(mail.getRecipients()).extracting(MailAddress::asString).containsExactly("case@loop.example", "CASE@loop.example");
        assertThat(mail.getErrorMessage()).isEqualTo("5.4.6 routing loop detected: handed to another processor "
            + MAX_HOPS + " times, the last by queue/transport (transport:1)");
        assertThat(AttributeUtils.getValueAndCastFromMail(mail, AttributeName.of("org.policyrouter.recipient-errors"), java.util.Map.class))
            .hasValueSatisfying(replies -> assertThat(replies).containsOnlyKeys("case@loop.example", "CASE@loop.example"));
    }

    @Test
    void maxHopsAndTheLoopProcessorAreParameters() throws Exception {
        nextHopProcessor.init(FakeMailetConfig.builder().mailetName("queue").mailetContext(FakeMailContext.defaultContext())
            .setProperty("maxHops", "2").setProperty("loopProcessor", "loop").build());
        MailImpl mail = mail("queue/transport");
        mail.setAttribute(new Attribute(HOPS, AttributeValue.of(2)));

        nextHopProcessor.service(mail);

        assertThat(mail.getState()).isEqualTo("loop");
    }

    @Test
    void aRetryOfADeferredMailIsANewPassWhoseHopsCountFromZero() throws Exception {
        MemoryMailQueueFactory queues = new MemoryMailQueueFactory(new RawMailQueueItemDecoratorFactory());
        Defer defer = new Defer(queues, new RecordingMetricFactory());
        defer.init(FakeMailetConfig.builder().mailetName("defer").mailetContext(FakeMailContext.defaultContext()).build());
        try {
            MailImpl mail = mail("queue/filter");
            mail.setAttribute(new Attribute(HOPS, AttributeValue.of(3)));

            defer.service(mail);

            Mail deferred = queues.getQueue(MailQueueName.of("spool")).orElseThrow().browse().next().getMail();
            assertThat(deferred.getState()).isEqualTo("transport");
            assertThat(hops(deferred)).isZero();
        } finally {
            defer.destroy();
            queues.clean();
        }
    }
}
