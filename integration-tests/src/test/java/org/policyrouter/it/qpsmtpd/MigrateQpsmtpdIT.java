package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.SmtpSink;

/**
 * bin/migrate-qpsmtpd on a qpsmtpd config directory (docs/migrating.md), then the distribution
 * started as a process: the SMTP replies are qpsmtpd's for the same files (the texts of
 * AddressListsIT and RelayControlIT), and its queue plugin is still where mail goes.
 */
class MigrateQpsmtpdIT {
    static final SmtpSink QMAIL = SmtpSink.start();
    static final String OUTSIDE = "127.0.0.20";

    @TempDir
    static Path tmp;

    static int smtpPort;
    static String migration;
    static JamesProcess james;

    @BeforeAll
    static void migrateAndStart() throws Exception {
        Path qpsmtpd = Files.createDirectories(tmp.resolve("qpsmtpd/config"));
        write(qpsmtpd, "plugins", "# a qpsmtpd 0.94 server", "relay", "badmailfrom", "badrcptto", "rcpt_ok", "auth/auth_flat_file",
            "queue/smtp-forward 127.0.0.1 " + QMAIL.port());
        write(qpsmtpd, "me", "mx.example.net");
        write(qpsmtpd, "relayclients", "# our network", "127.0.0.5", "127.0.2.0/24");
        write(qpsmtpd, "rcpthosts", "accepted.example", ".sub.example");
        write(qpsmtpd, "badmailfrom", "spammer@bad.example", "@bulk.example   We do not take bulk mail");
        write(qpsmtpd, "badrcptto", "closed@accepted.example", "@gone.example Gone for good");

        smtpPort = JamesProcess.freePort();
        Path home = JamesProcess.installDistribution(tmp.resolve("james-policy-router"), smtpPort, JamesProcess.freePort());
        Process migrate = new ProcessBuilder(home.resolve("bin/migrate-qpsmtpd").toString(), qpsmtpd.toString()).redirectErrorStream(true).start();
        migration = new String(migrate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(migrate.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(migrate.exitValue()).as(migration).isZero();

        james = JamesProcess.start(home, List.of(home.resolve("bin/james-policy-router").toString()));
        assertThat(james.awaitBanner(smtpPort, Duration.ofSeconds(90))).startsWith("220 ");
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        QMAIL.close();
    }

    static void write(Path dir, String name, String... lines) throws Exception {
        Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    static String reply(String client, String mailFrom, String rcptTo) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.openFrom(client, smtpPort, Duration.ofSeconds(30))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            smtp.command("EHLO client.example");
            String mail = smtp.command("MAIL FROM:<" + mailFrom + ">");
            return rcptTo == null || !mail.startsWith("250") ? mail : smtp.command("RCPT TO:<" + rcptTo + ">");
        }
    }

    @Test
    void theScriptSaysWhatItMappedAndWhatNot() {
        assertThat(migration).contains(
            "migrate-qpsmtpd: me (mx.example.net) is James's <helloName> in conf/smtpserver.xml",
            "migrate-qpsmtpd: relay: relayclients decides who relays; James's <authorizedAddresses> is now 127.0.0.1/32 only",
            "migrate-qpsmtpd: queue/smtp-forward 127.0.0.1 " + QMAIL.port() + ": every recipient goes there",
            "not mapped: auth/* plugins:");
    }

    @Test
    void deniesListedSendersWithQpsmtpdsTexts() throws Exception {
        assertThat(reply(OUTSIDE, "spammer@bad.example", null)).isEqualTo("550 5.7.1 Your envelope sender is in my badmailfrom list");
        assertThat(reply(OUTSIDE, "anyone@bulk.example", null)).isEqualTo("550 5.7.1 We do not take bulk mail");
        assertThat(reply(OUTSIDE, "friend@client.example", null)).startsWith("250 ");
    }

    @Test
    void deniesListedRecipientsWithQpsmtpdsTexts() throws Exception {
        assertThat(reply(OUTSIDE, "friend@client.example", "closed@accepted.example")).isEqualTo("550 5.1.1 mail to closed@accepted.example not accepted here");
        assertThat(reply(OUTSIDE, "friend@client.example", "anyone@gone.example")).isEqualTo("550 5.1.1 Gone for good");
    }

    @Test
    void takesRcpthostsDomainsFromAnyoneAndRefusesRelayingToOthers() throws Exception {
        assertThat(reply(OUTSIDE, "friend@client.example", "user@accepted.example")).startsWith("250 ");
        assertThat(reply(OUTSIDE, "friend@client.example", "user@deep.sub.example")).startsWith("250 ");
        assertThat(reply(OUTSIDE, "friend@client.example", "user@foreign.example")).isEqualTo("550 5.7.1 Relaying denied");
    }

    @Test
    void relaysForRelayclientsOnlyNotForTheRestOfTheLoopbackNetworkTheBundleTrusted() throws Exception {
        assertThat(reply("127.0.0.5", "sender@client.example", "user@foreign.example")).startsWith("250 ");
        assertThat(reply("127.0.2.200", "sender@client.example", "user@foreign.example")).startsWith("250 ");
        assertThat(reply("127.0.0.9", "sender@client.example", "user@foreign.example")).isEqualTo("550 5.7.1 Relaying denied");
    }

    @Test
    void greetsWithTheNameOfMe() throws Exception {
        try (SmtpConversation smtp = SmtpConversation.openFrom(OUTSIDE, smtpPort, Duration.ofSeconds(30))) {
            smtp.readReply();
            assertThat(smtp.command("EHLO client.example")).startsWith("250-mx.example.net ");
        }
    }

    @Test
    void mailGoesWhereQpsmtpdsQueuePluginSentIt() throws Exception {
        QMAIL.reset();
        try (SmtpConversation smtp = SmtpConversation.openFrom(OUTSIDE, smtpPort, Duration.ofSeconds(30))) {
            smtp.readReply();
            smtp.command("EHLO client.example");
            assertThat(smtp.command("MAIL FROM:<friend@client.example>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<user@accepted.example>")).startsWith("250 ");
            assertThat(smtp.data("Subject: migrated\r\n\r\nbody\r\n")).startsWith("250 ");
        }
        assertThat(QMAIL.awaitMessages(1)).hasSize(1);
        assertThat(QMAIL.envelopeRecipients()).containsExactly("user@accepted.example");
    }
}
