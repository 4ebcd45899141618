package org.policyrouter.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.Test;
import org.policyrouter.policy.RoutingAttributes;

class AddressMatchersTest {
    private static Mail mail(String sender, String... recipients) throws Exception {
        FakeMail.Builder builder = FakeMail.builder().name("m");
        if (sender != null) {
            builder.sender(sender);
        }
        for (String r : recipients) {
            builder.recipient(new MailAddress(r));
        }
        return builder.build();
    }

    private static <T extends org.apache.mailet.base.GenericMatcher> T init(T matcher, String name, String condition) throws MessagingException {
        matcher.init(FakeMatcherConfig.builder().matcherName(name).condition(condition).build());
        return matcher;
    }

    @Test
    void recipientMatchesReturnsOnlyTheMatchingRecipientsCaseInsensitively() throws Exception {
        RecipientMatches matcher = init(new RecipientMatches(), "RecipientMatches", "*.lists.example /^bounce-/ ceo@corp.example");

        assertThat(matcher.match(mail("s@x.example", "a@Sub.Lists.Example", "bounce-1@x.example", "CEO@corp.example", "other@corp.example")))
            .extracting(MailAddress::asString)
            .containsExactly("a@sub.lists.example", "bounce-1@x.example", "CEO@corp.example");
    }

    @Test
    void senderMatchesMatchesAllRecipientsOrNoneAndNeverTheNullSender() throws Exception {
        SenderMatches matcher = init(new SenderMatches(), "SenderMatches", "*.servers.company.foo");

        assertThat(matcher.match(mail("cron@db1.servers.company.foo", "a@x.example", "b@y.example"))).hasSize(2);
        assertThat(matcher.match(mail("cron@company.foo", "a@x.example"))).isEmpty();
        assertThat(matcher.match(mail(null, "a@x.example"))).isEmpty();
    }

    @Test
    void aBrokenPatternFailsAtInitNamingIt() {
        assertThatThrownBy(() -> init(new RecipientMatches(), "RecipientMatches", "/(unclosed/"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("invalid regex /(unclosed/");
    }

    @Test
    void nextHopIsMatchesOnTheTypeRoutePolicySet() throws Exception {
        NextHopIs matcher = init(new NextHopIs(), "NextHopIs", "pipe, mda");
        Mail pipe = mail("s@x.example", "a@x.example");
        pipe.setAttribute(new Attribute(AttributeName.of(RoutingAttributes.NEXT_HOP_TYPE), AttributeValue.of("pipe")));
        Mail smtp = mail("s@x.example", "a@x.example");
        smtp.setAttribute(new Attribute(AttributeName.of(RoutingAttributes.NEXT_HOP_TYPE), AttributeValue.of("smtp")));

        assertThat(matcher.match(pipe)).hasSize(1);
        assertThat(matcher.match(smtp)).isEmpty();
        assertThat(matcher.match(mail("s@x.example", "a@x.example"))).isEmpty();
        assertThatThrownBy(() -> init(new NextHopIs(), "NextHopIs", "smtp,carrier-pigeon")).hasMessageContaining("unknown next-hop type 'carrier-pigeon'");
    }
}
