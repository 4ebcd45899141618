package org.policyrouter.matchers;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.core.MailAddress;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.Test;

class RecipientIsLocalPostmasterTest {
    private static RecipientIsLocalPostmaster matcher(String postmaster) throws Exception {
        RecipientIsLocalPostmaster matcher = new RecipientIsLocalPostmaster();
        matcher.init(FakeMatcherConfig.builder().matcherName("RecipientIsLocalPostmaster")
            .mailetContext(FakeMailContext.builder().postmaster(new MailAddress(postmaster)).build()).build());
        return matcher;
    }

    @Test
    void matchesTheConfiguredPostmasterInALocalDomainOnly() throws Exception {
        FakeMail mail = FakeMail.builder().name("m")
            .recipients(new MailAddress("postmaster@localhost"), new MailAddress("user@localhost"), new MailAddress("postmaster@foreign.example"))
            .build();

        assertThat(matcher("postmaster@localhost").match(mail)).containsExactly(new MailAddress("postmaster@localhost"));
    }

    @Test
    void aPostmasterElsewhereIsLeftToRouting() throws Exception {
        FakeMail mail = FakeMail.builder().name("m").recipient(new MailAddress("admin@ops.example")).build();

        assertThat(matcher("admin@ops.example").match(mail)).isEmpty();
    }
}
