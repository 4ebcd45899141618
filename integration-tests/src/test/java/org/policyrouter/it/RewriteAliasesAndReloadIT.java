package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.mailet.Mail;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The router's tables in the running chain: rewrite (envelope and headers), a regex rule with a
 * variable, aliases feeding a real Debian MDA (maildrop) that delivers into a Maildir, and
 * transport edits picked up without a restart.
 */
class RewriteAliasesAndReloadIT {
    static final MailRepositoryUrl UNDELIVERABLE = MailRepositoryUrl.from("memory://var/mail/test-undeliverable/");
    static final String MAILDROP = UnixUsers.requireProgram("/usr/bin/maildrop", "maildrop");
    static final Path MAILDIR = DeliveryAgentsIT.unchecked(() -> UnixUsers.userWithMaildir("prmda"));
    static final ScriptedSmtpServer COMPANY = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);
    static final ScriptedSmtpServer SPLUNK = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);
    static final ScriptedSmtpServer LATER = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);

    static final PolicyRouterJames.Builder SERVER = PolicyRouterJames.builder()
        .withFile("policy/variables", "splunkmta " + SPLUNK.hostAndPort() + "\n")
        .withFile("policy/rewrite", "from *.servers.company.foo company.foo\nto old.example company.foo\n")
        .withFile("policy/aliases", "root prmda\n.*master prmda\nprmda prmda\n")
        .withFile("policy/transport", String.join("\n",
            "/.*spl-[0-9]{6}\\.foo.bar/ $splunkmta",
            "company.foo " + COMPANY.hostAndPort(),
            "mda.example " + MAILDROP,
            ""))
        .editConf("mailetcontainer.xml", xml -> ConfEdits.mailetParameter(xml, "org.policyrouter.mailets.RewriteAddresses", "rewriteHeaders", "true"))
        .editConf("mailetcontainer.xml", xml -> ConfEdits.mailetParameter(xml, "org.policyrouter.mailets.RewriteAddresses", "reloadInterval", "1s"))
        .editConf("mailetcontainer.xml", xml -> ConfEdits.processorToRepository(xml, "undeliverable", UNDELIVERABLE.asString()));

    @RegisterExtension
    static JamesServerExtension james = SERVER.build();

    @AfterAll
    static void stop() throws Exception {
        COMPANY.close();
        SPLUNK.close();
        LATER.close();
    }

    @Test
    void rewritesEnvelopeAndHeaderAddressesAndRoutesOnTheRewrittenRecipient(GuiceJamesServer server) throws Exception {
        DeliveryAgentsIT.send(server, "cron@db1.servers.company.foo", List.of("ops@old.example"), String.join("\r\n",
            "From: =?UTF-8?Q?Cron_D=C3=A6mon?= <cron@db1.servers.company.foo>",
            "To: Ops <ops@old.example>, other@elsewhere.example",
            "Subject: rewritten", "", "body", ""));

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> COMPANY.messages().size() == 1);
        assertThat(COMPANY.commands()).anySatisfy(c -> assertThat(c).startsWith("MAIL FROM:<cron@company.foo> "));
        assertThat(COMPANY.commands()).contains("RCPT TO:<ops@company.foo>");
        String message = new String(COMPANY.messages().get(0), StandardCharsets.UTF_8);
        assertThat(message).contains("From: =?UTF-8?Q?Cron_D=C3=A6mon?= <cron@company.foo>\r\n",
            "To: Ops <ops@company.foo>, other@elsewhere.example\r\n");
    }

    @Test
    void aRegexRuleWithAVariableSendsToTheVariablesHost(GuiceJamesServer server) throws Exception {
        DeliveryAgentsIT.send(server, "app@client.example", List.of("events@host-spl-123456.foo.bar"), "Subject: splunk\r\n\r\nx\r\n");

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> SPLUNK.messages().size() == 1);
        assertThat(SPLUNK.commands()).contains("RCPT TO:<events@host-spl-123456.foo.bar>");
    }

    @Test
    void anMdaRuleDeliversThroughMaildropAsTheAliasedUnixUserIntoItsMaildir(GuiceJamesServer server) throws Exception {
        long before = countNew();
        DeliveryAgentsIT.send(server, "someone@client.example", List.of("webmaster@mda.example"),
            "Subject: for the webmaster\r\nX-Marker: mda-" + before + "\r\n\r\nlocal delivery\r\n");

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> countNew() > before);
        assertThat(newMessages()).anySatisfy(content -> assertThat(content)
            .contains("Subject: for the webmaster\n", "X-Marker: mda-" + before + "\n", "\n\nlocal delivery\n"));
        // the server switched to prmda before running maildrop (issue 20): the file is prmda's, not root's
        int uid = org.policyrouter.core.process.UnixAccounts.system().user("prmda").orElseThrow().uid();
        try (var files = Files.list(MAILDIR.resolve("new"))) {
            assertThat(files.map(f -> DeliveryAgentsIT.unchecked(() -> Files.getAttribute(f, "unix:uid"))))
                .isNotEmpty().allSatisfy(owner -> assertThat(owner).isEqualTo(uid));
        }
    }

    @Test
    void aRecipientWithoutAliasIsUndeliverableWith511(GuiceJamesServer server) throws Exception {
        DeliveryAgentsIT.send(server, "someone@client.example", List.of("nobody@mda.example"), "Subject: unknown\r\n\r\nx\r\n");

        Mail bounced = DeliveryAgentsIT.awaitMails(server, UNDELIVERABLE, "nobody@mda.example").get(0);
        assertThat(bounced.getErrorMessage()).startsWith("5.1.1 <nobody@mda.example>: unknown user 'nobody'");
    }

    @Test
    void aTransportEditIsPickedUpWithoutRestartAndABrokenEditKeepsTheLastGoodTable(GuiceJamesServer server) throws Exception {
        Path transport = SERVER.confDirectory().resolve("policy/transport");
        String original = Files.readString(transport);
        Files.writeString(transport, "later.example " + LATER.hostAndPort() + "\n" + original);
        Thread.sleep(2500);
        DeliveryAgentsIT.send(server, "a@client.example", List.of("x@later.example"), "Subject: reloaded\r\n\r\nx\r\n");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> LATER.messages().size() == 1);

        Files.writeString(transport, "later.example host:99999\n" + original);
        Thread.sleep(2500);
        DeliveryAgentsIT.send(server, "a@client.example", List.of("y@later.example"), "Subject: still good\r\n\r\nx\r\n");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> LATER.messages().size() == 2);
        Files.writeString(transport, original);
    }

    private static long countNew() throws Exception {
        try (var files = Files.list(MAILDIR.resolve("new"))) {
            return files.count();
        }
    }

    private static List<String> newMessages() throws Exception {
        try (var files = Files.list(MAILDIR.resolve("new"))) {
            return files.map(f -> DeliveryAgentsIT.unchecked(() -> Files.readString(f, StandardCharsets.UTF_8))).collect(java.util.stream.Collectors.toList());
        }
    }
}
