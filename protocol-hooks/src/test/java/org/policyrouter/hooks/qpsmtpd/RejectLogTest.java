package org.policyrouter.hooks.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.FakeConnection;
import org.policyrouter.hooks.core.RejectLines;

import ch.qos.logback.classic.Level;

/** Every rejection of a check is one INFO line of org.policyrouter.reject: check, client, command, reply. */
class RejectLogTest {
    @TempDir
    Path config;

    private final RejectLines log = new RejectLines();

    @AfterEach
    void stopListening() {
        log.close();
    }

    @Test
    void logsARejectedRecipientWithCheckClientCommandAndReply() throws Exception {
        Files.writeString(config.resolve("badrcptto"), "closed@example.com\n");
        BadRcptTo check = CheckFixtures.configured(new BadRcptTo(), config);

        check.checkRcpt(FakeConnection.from("192.0.2.7"), EnvelopeAddress.parse("closed@example.com"));
        check.checkRcpt(FakeConnection.from("192.0.2.7"), EnvelopeAddress.parse("open@example.com"));

        assertThat(log.lines()).containsExactly("badrcptto: 192.0.2.7 RCPT TO:<closed@example.com> -> 550 5.1.1 mail to closed@example.com not accepted here");
        assertThat(log.levels()).containsExactly(Level.INFO);
    }

    @Test
    void aCheckRunByThePluginsFileIsNamedOnceUnderItsOwnName() throws Exception {
        Files.writeString(config.resolve("plugins"), "badrcptto\n");
        Files.writeString(config.resolve("badrcptto"), "closed@example.com\n");
        Plugins plugins = CheckFixtures.configured(new Plugins(), config);

        plugins.checkRcpt(FakeConnection.from("192.0.2.7"), EnvelopeAddress.parse("closed@example.com"));

        assertThat(log.lines()).containsExactly("badrcptto: 192.0.2.7 RCPT TO:<closed@example.com> -> 550 5.1.1 mail to closed@example.com not accepted here");
    }

    @Test
    void aRejectionThatHangsUpIsOneLineSayingSo() {
        CountUnrecognizedCommands check = CheckFixtures.configured(new CountUnrecognizedCommands(), config, "1");

        check.checkUnrecognized(FakeConnection.from("192.0.2.7"), "FOO");

        assertThat(log.lines()).containsExactly("count_unrecognized_commands: 192.0.2.7 FOO -> 521 5.5.1 Closing connection, "
            + "1 unrecognized commands. Perhaps you should read RFC 2821? [disconnect]");
    }

    @Test
    void aTemporaryRejectionSaysItIsTemporary() throws Exception {
        Files.writeString(config.resolve("hosts_allow"), "192.0.2.0/24 DENYSOFT come back later\n");
        HostsAllow check = CheckFixtures.configured(new HostsAllow(), config, "maxConnIp", "0");

        check.checkConnect(FakeConnection.from("192.0.2.7"));

        assertThat(log.lines()).containsExactly("hosts_allow: 192.0.2.7 connect -> 451 come back later [temporary, disconnect]");
    }

    @Test
    void aRejectionDecidedWhenTheGreetingIsReleasedIsLoggedToo() {
        Earlytalker check = CheckFixtures.configured(new Earlytalker(), config);
        FakeConnection client = FakeConnection.from("192.0.2.7").talksEarly(true);

        check.checkConnect(client);

        assertThat(client.greetingVerdict().code().rejects()).isTrue();
        assertThat(log.lines()).containsExactly("earlytalker: 192.0.2.7 connect -> 450 Connecting host started transmitting "
            + "before SMTP greeting [temporary, disconnect]");
    }

    @Test
    void whatTheClientSentIsEscapedIntoOnePrintableLine() throws Exception {
        Files.writeString(config.resolve("badrcptto"), "@example.com\n");
        BadRcptTo check = CheckFixtures.configured(new BadRcptTo(), config);

        check.checkRcpt(FakeConnection.from("192.0.2.7"), EnvelopeAddress.parse("a\r\nforged: line@example.com"));

        assertThat(log.lines()).containsExactly("badrcptto: 192.0.2.7 RCPT TO:<a\\x0d\\x0aforged: line@example.com> -> "
            + "550 5.1.1 mail to a\\x0d\\x0aforged: line@example.com not accepted here");
    }

    @Test
    void declinedAndToleratedVerdictsAreNotRejections() throws Exception {
        Files.writeString(config.resolve("badmailfrom"), "spammer@bad.example\n");
        BadMailFrom check = CheckFixtures.configured(new BadMailFrom(), config, "reject", "0");

        check.checkMail(FakeConnection.from("192.0.2.7"), EnvelopeAddress.parse("spammer@bad.example"));

        assertThat(log.lines()).isEmpty();
    }
}
