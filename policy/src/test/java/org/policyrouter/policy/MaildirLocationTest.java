package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** qpsmtpd's queue/maildir arguments, and the next hops that carry them. */
class MaildirLocationTest {
    private final Path base = Path.of("/srv/mail");

    @Test
    void substitutionsFollowQpsmtpdWithItsCharacterRule() {
        MaildirLocation location = MaildirLocation.parse(List.of("/srv/mail", "%d/%l/%u"));

        assertThat(location.forRecipient(base, "jo hn/x", "Example.COM"))
            .isEqualTo(Path.of("/srv/mail/Example.COM/jo_hn_x/jo_hn_x@Example.COM"));
        assertThat(MaildirLocation.parse(List.of("/srv/mail", "%d/%l")).forRecipient(base, "..", "x.example"))
            .isEqualTo(Path.of("/srv/mail/x.example/__"));
    }

    @Test
    void withoutSubdirectoriesEveryRecipientSharesTheMaildir() {
        MaildirLocation location = MaildirLocation.parse(List.of("/srv/mail"));

        assertThat(location.perRecipient()).isFalse();
        assertThat(location.forRecipient(base, "a", "x.example")).isEqualTo(base);
    }

    @Test
    void theBareFormIsVarMaildirPerDomainAndLocalPart() {
        MaildirLocation location = MaildirLocation.parse(List.of());

        assertThat(location.directory()).isEqualTo("var/maildir");
        assertThat(location.forRecipient(base, "a", "x.example")).isEqualTo(Path.of("/srv/mail/x.example/a"));
        assertThat(location.mode()).isEqualTo(0700);
    }

    @Test
    void badArgumentsAreRefusedWhenTheTableLoads() {
        assertThatThrownBy(() -> NextHop.parse("queue/maildir /srv/mail user", Optional.empty()))
            .hasMessageContaining("contains none of %l, %d, %u");
        assertThatThrownBy(() -> NextHop.parse("queue/maildir /srv/mail %l 80", Optional.empty()))
            .hasMessageContaining("mode '80' is not three octal digits");
        assertThatThrownBy(() -> NextHop.parse("queue/maildir /srv/mail /abs/%l", Optional.empty()))
            .hasMessageContaining("must be relative");
    }

    @Test
    void builtInQueuePluginsAreNextHopsOfTheirOwnAndOtherNamesAreProcessors() {
        assertThat(NextHop.parse("queue/maildir", Optional.empty()).type()).isEqualTo(NextHop.Type.MAILDIR);
        NextHop qmailQueue = NextHop.parse("queue/qmail-queue", Optional.empty());
        assertThat(qmailQueue.type().label()).isEqualTo("qmail-queue");
        assertThat(qmailQueue.argv()).containsExactly("/var/qmail/bin/qmail-queue");
        assertThat(NextHop.parse("queue/qmail-queue /usr/local/bin/qq", Optional.empty()).argv()).containsExactly("/usr/local/bin/qq");
        NextHop forward = NextHop.parse("queue/smtp-forward 10.2.2.2 9025", Optional.empty());
        assertThat(forward.type()).isEqualTo(NextHop.Type.SMTP);
        assertThat(forward.relayHosts()).containsExactly(new RelayHost("10.2.2.2", 9025));
        assertThat(forward.deliveryTarget("x.example")).isEqualTo(NextHop.parse("10.2.2.2:9025", Optional.empty()).deliveryTarget("y.example"));
        assertThat(NextHop.parse("queue/smtp-forward relay", Optional.of("example.com")).relayHosts())
            .containsExactly(new RelayHost("relay.example.com", 25));
        NextHop qmqp = NextHop.parse("queue/qmqp-forward 10.0.0.1, 10.0.0.2:6280", Optional.empty());
        assertThat(qmqp.type()).isEqualTo(NextHop.Type.QMQP);
        assertThat(qmqp.relayHosts()).containsExactly(new RelayHost("10.0.0.1", 628), new RelayHost("10.0.0.2", 6280));
        NextHop processor = NextHop.parse("queue/virus-scan", Optional.empty());
        assertThat(processor.type()).isEqualTo(NextHop.Type.QUEUE);
        assertThat(processor.target()).isEqualTo("virus-scan");
        assertThatThrownBy(() -> NextHop.parse("queue/qmail-queue bin/qq", Optional.empty())).hasMessageContaining("absolute path");
        assertThatThrownBy(() -> NextHop.parse("queue/qmqp-forward", Optional.empty())).hasMessageContaining("needs a server");
        assertThatThrownBy(() -> NextHop.parse("queue/virus-scan fast", Optional.empty())).hasMessageContaining("built-in queue plugins");
    }
}
