package org.policyrouter.hooks.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.RejectLines;
import org.policyrouter.core.process.UnixAccounts;

class PluginChainTest {
    @TempDir
    Path home;

    private SppSession session(String... smtpplugins) {
        return new SppSession(SmtpPluginsFile.parse("smtpplugins", List.of(smtpplugins)), Map.of("PATH", "/usr/bin:/bin"));
    }

    private PluginRunner runner;

    @AfterEach
    void closeRunner() {
        if (runner != null) {
            runner.close();
        }
    }

    private PluginChain chain() {
        if (runner == null) {
            runner = new PluginRunner(home, Duration.ofSeconds(2), 65536, Optional.of(Path.of("/usr/bin/setsid")), UnixAccounts.system().runAs("nobody"), (p, l) -> { });
        }
        return new PluginChain(runner);
    }

    @Test
    void aRejectionIsOneRejectLogLineNamingThePlugin() {
        SppSession session = new SppSession(SmtpPluginsFile.parse("smtpplugins", List.of("[rcpt]", ":true", ":echo E550 5.7.1 no thanks")),
            Map.of("PATH", "/usr/bin:/bin", "TCPREMOTEIP", "192.0.2.7"));
        try (RejectLines log = new RejectLines()) {
            chain().rcpt(session, "closed@example.com", 0, true);
            chain().rcpt(session, "temp@example.com", 0, true);

            assertThat(log.lines()).containsExactly("spp echo: 192.0.2.7 RCPT TO:<closed@example.com> -> 550 5.7.1 no thanks",
                "spp echo: 192.0.2.7 RCPT TO:<temp@example.com> -> 550 5.7.1 no thanks");
        }
    }

    @Test
    void queuedErrorsAndDropsAreLoggedUnderThePluginThatDecided() {
        SppSession session = new SppSession(SmtpPluginsFile.parse("smtpplugins", List.of("[helo]", ":echo D", "[mail]", ":echo LR451 4.7.1 later")),
            Map.of("PATH", "/usr/bin:/bin", "TCPREMOTEIP", "192.0.2.7"));
        try (RejectLines log = new RejectLines()) {
            chain().helo(session, "client.example");
            chain().mail(session, "");
            chain().rcpt(session, "a@example.com", 0, true);
            session.reset();
            session.addLaterError(Section.DATA, ReplyLine.parse("554 5.7.1 not now").orElseThrow(), new PluginLine("plugins/late", "smtpplugins:9"));
            chain().data(session);

            assertThat(log.lines()).containsExactly("spp echo: 192.0.2.7 HELO/EHLO client.example -> no reply [disconnect]",
                "spp echo: 192.0.2.7 RCPT TO:<a@example.com> -> 451 4.7.1 later [temporary]",
                "spp plugins/late: 192.0.2.7 DATA -> 554 5.7.1 not now");
        }
    }

    @Test
    void runsPluginsInFileOrderAndLaterOnesSeeVariablesSetByEarlierOnes() {
        SppSession session = session("[mail]", ":echo Sseen=$SMTPMAILFROM", ":echo \"E550 5.7.1 seen $seen\"");

        PluginVerdict verdict = chain().mail(session, "a@b.example");

        assertThat(verdict.kind()).isEqualTo(PluginVerdict.Kind.REJECT);
        assertThat(verdict.replyLines()).containsExactly("550 5.7.1 seen a@b.example");
        assertThat(session.variable("seen")).isEqualTo("a@b.example");
    }

    @Test
    void nextSkipsTheRemainingPluginsOfTheCommandOnly() {
        SppSession session = session("[helo]", ":echo N", ":echo E550 never", "[mail]", ":echo E550 5.7.1 mail plugins still run");

        assertThat(chain().helo(session, "client.example").kind()).isEqualTo(PluginVerdict.Kind.PROCEED);
        assertThat(chain().mail(session, "a@b.example").replyLines()).containsExactly("550 5.7.1 mail plugins still run");
    }

    @Test
    void acceptTurnsPluginsOffForTheSession() {
        SppSession session = session("[helo]", ":echo A", "[mail]", ":echo E550 never");

        chain().helo(session, "client.example");

        assertThat(session.isActive()).isFalse();
        assertThat(chain().mail(session, "a@b.example").kind()).isEqualTo(PluginVerdict.Kind.PROCEED);
    }

    @Test
    void noSppSetByAPluginTurnsPluginsOff() {
        SppSession session = session("[helo]", ":echo SNOSPP=1", ":echo E550 never");

        assertThat(chain().helo(session, "client.example").kind()).isEqualTo(PluginVerdict.Kind.PROCEED);
        assertThat(session.isActive()).isFalse();
    }

    @Test
    void okSkipsLaterChecksOnlyAtMailAndRcpt() {
        SppSession session = session("[helo]", ":echo O", "[rcpt]", ":echo O");

        assertThat(chain().helo(session, "client.example").kind()).isEqualTo(PluginVerdict.Kind.PROCEED);
        chain().mail(session, "a@b.example");
        assertThat(chain().rcpt(session, "c@d.example", 0, false).kind()).isEqualTo(PluginVerdict.Kind.SKIP_LATER_CHECKS);
    }

    @Test
    void laterErrorsAreShownAtEveryLaterCommandUntilReset() {
        SppSession session = session("[connection]", ":echo LR553 5.7.1 first; echo LR553 5.7.1 second", "[rcpt]", ":echo E550 never run");

        chain().connect(session);

        assertThat(chain().mail(session, "a@b.example").kind()).isEqualTo(PluginVerdict.Kind.PROCEED);
        PluginVerdict first = chain().rcpt(session, "c@d.example", 0, true);
        assertThat(first.replyLines()).containsExactly("553-5.7.1 first", "553 5.7.1 second");
        assertThat(chain().rcpt(session, "e@d.example", 0, true).replyLines()).isEqualTo(first.replyLines());
        session.reset();
        assertThat(chain().rcpt(session, "e@d.example", 0, true).replyLines()).containsExactly("550 never run");
    }

    @Test
    void changeRewritesTheAddressForLaterPlugins() {
        SppSession session = session("[rcpt]", ":echo Cspam@myhost.example", ":echo \"P250-now $SMTPRCPTTO\"");
        chain().mail(session, "a@b.example");

        PluginVerdict verdict = chain().rcpt(session, "c@d.example", 0, true);

        assertThat(verdict.changedAddress()).contains("spam@myhost.example");
        assertThat(verdict.printed()).extracting(ReplyLine::asWritten).containsExactly("250-now spam@myhost.example");
    }

    @Test
    void countsRecipientsAsQmailSppDoes() {
        SppSession session = session("[rcpt]", ":echo \"P250-$SMTPRCPTCOUNT/$SMTPRCPTCOUNTALL/$SMTPRCPTHOSTSOK\"");
        chain().mail(session, "a@b.example");

        assertThat(chain().rcpt(session, "1@d.example", 0, true).printed().get(0).asWritten()).isEqualTo("250-0/1/1");
        assertThat(chain().rcpt(session, "2@d.example", 1, false).printed().get(0).asWritten()).isEqualTo("250-1/2/0");
        chain().mail(session, "a@b.example");
        assertThat(chain().rcpt(session, "3@d.example", 0, true).printed().get(0).asWritten()).isEqualTo("250-0/1/1");
    }

    @Test
    void aFailedPluginGivesQmailSpps451AndItsOtherOutputHasNoEffect() {
        SppSession session = session("[mail]", ":echo HX-Lost: yes; echo Slost=1; exit 120", ":echo E550 never run");

        PluginVerdict verdict = chain().mail(session, "a@b.example");

        assertThat(verdict.replyLines()).containsExactly("451 qmail-spp failure: echo: can't execute (#4.3.0)");
        assertThat(session.headers()).isEmpty();
        assertThat(session.variable("lost")).isNull();
    }

    @Test
    void anAnswerGivenBeforeExit120Stands() {
        SppSession session = session("[mail]", ":echo E553 5.7.1 denied; exit 120");

        assertThat(chain().mail(session, "a@b.example").replyLines()).containsExactly("553 5.7.1 denied");
    }

    @Test
    void headersAreQueuedUntilReset() {
        SppSession session = session("[mail]", ":echo HX-Spam-Flag: YES", "[rcpt]", ":echo 'HX-Rcpt: seen'");
        chain().mail(session, "a@b.example");
        chain().rcpt(session, "c@d.example", 0, true);

        assertThat(session.headers()).containsExactly("X-Spam-Flag: YES", "X-Rcpt: seen");
        session.reset();
        assertThat(session.headers()).isEmpty();
    }

    @Test
    void authPluginsSeeTheUserAndTheMethod() {
        SppSession session = session("[auth]", ":echo \"E535 5.7.8 $SMTPAUTHUSER via $SMTPAUTHMETHOD refused\"");

        assertThat(chain().auth(session, "plain", "bob").replyLines()).containsExactly("535 5.7.8 bob via plain refused");
    }
}
