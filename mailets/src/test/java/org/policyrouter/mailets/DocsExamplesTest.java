package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.core.process.UnixAccount;
import org.policyrouter.core.process.UnixAccounts;
import org.policyrouter.policy.NextHop;
import org.policyrouter.policy.RoutingAttributes;

/**
 * The transport examples of docs/policy-language.md run what the docs say they run (issue 20:
 * the old {@code maildrop -d USER} example ran {@code maildrop -d USER -d daemon}).
 */
class DocsExamplesTest {
    private static final Path DOCS = Path.of("..", "docs", "policy-language.md");

    @RegisterExtension
    static final TestAccounts ACCOUNTS = new TestAccounts();
    @TempDir
    Path tmp;

    /** The next hop of the docs' transport example for {@code destination}. */
    private static String docsNextHop(String destination) throws Exception {
        try (Stream<String> lines = Files.lines(DOCS)) {
            return lines.filter(line -> line.startsWith(destination + " ")).findFirst().orElseThrow().substring(destination.length()).trim();
        }
    }

    private Mail mdaMail(String nextHop) throws Exception {
        Mail mail = RoutedMail.of(nextHop, "", MimeMessageBuilder.mimeMessageBuilder().setSubject("docs").setText("hello"), "max@local.example");
        mail.setAttribute(new Attribute(AttributeName.of(RoutingAttributes.UNIX_USERS),
            AttributeValue.of(Map.<String, AttributeValue<?>>of("max@local.example", AttributeValue.of(TestAccounts.MDA_USER)))));
        return mail;
    }

    private void deliver(Mail mail) throws Exception {
        MdaDelivery mda = new MdaDelivery(new RecordingMetricFactory());
        mda.init(FakeMailetConfig.builder().mailetName("deliver-mda").mailetContext(new RecordingMailetContext().context).build());
        mda.service(mail);
        mda.destroy();
    }

    @Test
    void theMaildropExampleRunsMaildropWithDashDAndTheUserAndNothingElse() throws Exception {
        String nextHop = docsNextHop("local.example");
        assertThat(nextHop).isEqualTo("/usr/bin/maildrop -d ${user}");
        ProgramDirectories.writableByAnyone(tmp);
        Path recorder = tmp.resolve("maildrop");
        Files.writeString(recorder, "#!/bin/sh\nfor arg in \"$@\"; do echo \"$arg\"; done > " + tmp.resolve("argv") + "\ncat > /dev/null\n");
        Files.setPosixFilePermissions(recorder, PosixFilePermissions.fromString("rwxr-xr-x"));

        deliver(mdaMail(nextHop.replace("/usr/bin/maildrop", recorder.toString())));

        assertThat(Files.readAllLines(tmp.resolve("argv"))).containsExactly("-d", TestAccounts.MDA_USER);
    }

    @Test
    void theMaildropExampleDeliversIntoTheRecipientsMaildirAsTheRecipient() throws Exception {
        Path maildrop = Path.of("/usr/bin/maildrop");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(maildrop), "maildrop is installed");
        UnixAccount account = UnixAccounts.system().user(TestAccounts.MDA_USER).orElseThrow();
        Path maildir = ACCOUNTS.home().resolve("Maildir");
        for (String sub : List.of("cur", "new", "tmp")) {
            Files.createDirectories(maildir.resolve(sub));
        }
        Files.writeString(ACCOUNTS.home().resolve(".mailfilter"), "DEFAULT=\"$HOME/Maildir\"\n");
        new ProcessBuilder("chown", "-R", TestAccounts.MDA_USER + ":", ACCOUNTS.home().toString()).start().waitFor();
        Files.setPosixFilePermissions(ACCOUNTS.home().resolve(".mailfilter"), PosixFilePermissions.fromString("rw-------"));
        Mail mail = mdaMail(docsNextHop("local.example"));

        deliver(mail);

        List<Path> delivered;
        try (Stream<Path> files = Files.list(maildir.resolve("new"))) {
            delivered = files.collect(Collectors.toList());
        }
        assertThat(delivered).hasSize(1);
        assertThat(Files.readString(delivered.get(0))).contains("Subject: docs");
        assertThat(Files.getAttribute(delivered.get(0), "unix:uid")).isEqualTo(account.uid());
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void thePipeExampleRunsAsItsUserWithThePlaceholdersFilledIn() throws Exception {
        NextHop nextHop = NextHop.parse(docsNextHop("lists.example"), Optional.empty());
        Mail mail = RoutedMail.of(docsNextHop("lists.example"), "", MimeMessageBuilder.mimeMessageBuilder().setText("x"), "dev@lists.example");

        List<String> argv = DeliveryPlaceholders.forRecipient(nextHop.argv(), mail, "lists.example", new MailAddress("dev@lists.example"), "dev");

        assertThat(nextHop.options().user()).contains("listd");
        assertThat(argv).containsExactly("/usr/local/bin/list-robot", "--list", "dev@lists.example", "--from", "MAILER-DAEMON");
    }
}
