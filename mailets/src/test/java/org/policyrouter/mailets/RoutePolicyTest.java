package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.policy.RoutingAttributes;

/**
 * One mail per next-hop group: the mail itself carries the first group, copies the others, and
 * every part keeps the queue ID as a prefix of its name ({@code <name>.1}, {@code <name>.2} …).
 */
class RoutePolicyTest {
    @TempDir
    Path policy;
    RecordingMailetContext context;
    RoutePolicy routePolicy;

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(policy.resolve("transport"), "a.example 10.0.0.1:2525\nb.example 10.0.0.2:2525\nc.example discard\npipe.example |/usr/bin/robot \"two words\" x\n"
            + "same.example relay.example:2525\nspelled.example Relay.Example:2525\n");
        context = new RecordingMailetContext();
        routePolicy = new RoutePolicy(new FileSystem() {
            @Override
            public InputStream getResource(String url) {
                throw new UnsupportedOperationException(url);
            }

            @Override
            public File getFile(String fileUrl) {
                return policy.toFile();
            }

            @Override
            public File getBasedir() throws FileNotFoundException {
                return policy.toFile();
            }
        });
        routePolicy.init(FakeMailetConfig.builder().mailetName("route").mailetContext(context.context)
            .setProperty("policyDirectory", "file://conf/policy").setProperty("reloadInterval", "0").setProperty("me", "router.example").build());
    }

    @AfterEach
    void tearDown() {
        routePolicy.destroy();
    }

    static MailImpl mail(String name, String... recipients) throws Exception {
        MailImpl.Builder builder = MailImpl.builder().name(name).state("transport").sender("sender@client.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("hello").setText("body"));
        for (String recipient : recipients) {
            builder.addRecipient(recipient);
        }
        return builder.build();
    }

    static String nextHop(Mail mail) {
        return AttributeUtils.getValueAndCastFromMail(mail, AttributeName.of(RoutingAttributes.NEXT_HOP), String.class).orElseThrow();
    }

    @Test
    void aMailForOneNextHopKeepsItsName() throws Exception {
        MailImpl mail = mail("1A2B3C", "x@a.example", "y@a.example");

        routePolicy.service(mail);

        assertThat(context.sent).isEmpty();
        assertThat(mail.getName()).isEqualTo("1A2B3C");
        assertThat(mail.getState()).isEqualTo("routed");
        assertThat(nextHop(mail)).isEqualTo("10.0.0.1:2525");
    }

    @Test
    void aMailSplitIntoGroupsEndsAndEachGroupIsQueuedOnItsOwnAsDotOneDotTwoEachDisposedOnceSent() throws Exception {
        MailImpl mail = mail("1A2B3C", "x@a.example", "y@b.example", "z@c.example", "w@a.example");

        routePolicy.service(mail);

        // a group handed back to the spool later (a busy destination) must come back alone, not split again
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(context.sent).extracting(sent -> sent.name + " " + sent.state + " " + sent.recipients)
            .containsExactly("1A2B3C.1 routed [x@a.example, w@a.example]", "1A2B3C.2 routed [y@b.example]", "1A2B3C.3 routed [z@c.example]");
        assertThat(context.sent).allSatisfy(sent -> assertThat(sent.disposed()).isTrue());
        assertThat(context.fake.getSentMails()).extracting(sent -> (Object) sent.getAttributes().get(AttributeName.of(RoutingAttributes.NEXT_HOP))
            .getValue().value()).containsExactly("10.0.0.1:2525", "10.0.0.2:2525", "discard");
    }

    @Test
    void recipientsOfDifferentRulesNamingTheSameHostsInAnySpellingAreOneGroup() throws Exception {
        MailImpl mail = mail("1A2B3C", "y@same.example", "z@spelled.example");

        routePolicy.service(mail);

        assertThat(context.sent).isEmpty();
        assertThat(mail.getRecipients()).containsExactly(new MailAddress("y@same.example"), new MailAddress("z@spelled.example"));
        assertThat(AttributeUtils.getValueAndCastFromMail(mail, AttributeName.of(RoutingAttributes.RULE), String.class))
            .contains("transport:5,transport:6");
    }

    @Test
    void mxRecipientsMakeOneMailPerDomain() throws Exception {
        MailImpl mail = mail("1A2B3C", "a@one.example", "b@two.example", "c@one.example");

        routePolicy.service(mail);

        assertThat(context.sent).extracting(sent -> sent.name + " " + sent.recipients)
            .containsExactly("1A2B3C.1 [a@one.example, c@one.example]", "1A2B3C.2 [b@two.example]");
    }

    @Test
    void aPipeNextHopCarriesTheArgvThePolicySplitAndAnotherNextHopNone() throws Exception {
        MailImpl mail = mail("1A2B3C", "x@pipe.example");
        mail.setAttribute(new Attribute(AttributeName.of(RoutingAttributes.COMMAND), AttributeValue.of(List.<AttributeValue<?>>of(AttributeValue.of("stale")))));
        MailImpl relayed = mail("4D5E6F", "x@a.example");
        relayed.setAttribute(new Attribute(AttributeName.of(RoutingAttributes.COMMAND), AttributeValue.of(List.<AttributeValue<?>>of(AttributeValue.of("stale")))));

        routePolicy.service(mail);
        routePolicy.service(relayed);

        assertThat(AttributeUtils.getValueAndCastFromMail(mail, AttributeName.of(RoutingAttributes.COMMAND), Collection.class).orElseThrow())
            .extracting(word -> ((AttributeValue<?>) word).getValue()).containsExactly("/usr/bin/robot", "two words", "x");
        assertThat(relayed.getAttribute(AttributeName.of(RoutingAttributes.COMMAND))).as("a relayed mail that was piped before").isEmpty();
    }
}
