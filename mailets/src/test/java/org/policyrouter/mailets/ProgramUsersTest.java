package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.core.process.UnixAccount;
import org.policyrouter.core.process.UnixAccounts;
import org.policyrouter.policy.RoutingAttributes;
import org.policyrouter.spool.SpoolAttributes;

/**
 * Issue 20: pipe and MDA programs never run as root. Each program below writes what it sees
 * (ids, groups, arguments, environment, working directory) into a file; the test JVM runs as
 * root, so the switch is real.
 */
class ProgramUsersTest {
    @RegisterExtension
    static final TestAccounts ACCOUNTS = new TestAccounts();
    @TempDir
    Path tmp;

    @BeforeEach
    void letTheProgramsWrite() throws Exception {
        ProgramDirectories.writableByAnyone(tmp);
    }

    /** A program that records its ids, groups, arguments and environment in {@code tmp/seen}, one item a line. */
    private String recorder() throws Exception {
        Path program = tmp.resolve("record");
        Files.writeString(program, "#!/bin/sh\n"
            + "out=" + tmp.resolve("seen") + "\n"
            + "{ id -u; id -g; id -G; pwd; for arg in \"$@\"; do echo \"arg=$arg\"; done; env; } > \"$out.$$\"\n"
            + "cat > /dev/null\n"
            + "mv \"$out.$$\" \"$out.$(id -u).$RECIPIENT\"\n");
        Files.setPosixFilePermissions(program, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return program.toString();
    }

    private List<String> seen(int uid, String recipient) throws Exception {
        return Files.readAllLines(tmp.resolve("seen." + uid + "." + recipient));
    }

    private static Mail mail(String nextHop, String sender, String... recipients) throws Exception {
        Mail mail = RoutedMail.of(nextHop, sender, MimeMessageBuilder.mimeMessageBuilder().setSubject("who").setText("body"), recipients);
        mail.setAttribute(new Attribute(SpoolAttributes.QUEUE_ID, AttributeValue.of("4F2A9C0B1D3E")));
        return mail;
    }

    private final RecordingMailetContext context = new RecordingMailetContext();

    private <T extends ProgramDelivery> T init(T mailet, Map<String, String> parameters) throws Exception {
        FakeMailetConfig.Builder config = FakeMailetConfig.builder().mailetName("deliver").mailetContext(context.context);
        parameters.forEach(config::setProperty);
        mailet.init(config.build());
        return mailet;
    }

    @Test
    void aPipeRunsAsNobodyByDefaultWithOnlyNobodysGroup() throws Exception {
        Mail mail = mail("|" + recorder(), "s@client.example", "bot@pipe.example");

        init(new PipeDelivery(new RecordingMetricFactory()), Map.of()).service(mail);

        assertThat(seen(65534, "bot@pipe.example").subList(0, 3)).containsExactly("65534", "65534", "65534");
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void aPipeRunsAsItsNextHopsUserAndGroup() throws Exception {
        Mail mail = mail("user=daemon:mail |" + recorder(), "s@client.example", "bot@pipe.example");

        init(new PipeDelivery(new RecordingMetricFactory()), Map.of()).service(mail);

        assertThat(seen(1, "bot@pipe.example").subList(0, 3)).containsExactly("1", "8", "8");
    }

    @Test
    void theMailetsUserParameterIsThePipesDefault() throws Exception {
        Mail mail = mail("|" + recorder(), "s@client.example", "bot@pipe.example");

        init(new PipeDelivery(new RecordingMetricFactory()), Map.of("user", "daemon")).service(mail);

        assertThat(seen(1, "bot@pipe.example").subList(0, 3)).containsExactly("1", "1", "1");
    }

    @Test
    void aPipeUserWithUidZeroIsRefusedAtInit() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> init(new PipeDelivery(new RecordingMetricFactory()), Map.of("user", TestAccounts.TOOR)))
            .hasMessageContaining("parameter user").hasMessageContaining("uid 0");
    }

    @Test
    void theEnvironmentHasTheQueueIdAndOneRecipientPerLine() throws Exception {
        Mail mail = mail("|" + recorder(), "s@client.example", "\"a b\"@pipe.example", "c@pipe.example");

        init(new PipeDelivery(new RecordingMetricFactory()), Map.of()).service(mail);

        String environment = String.join("\n", seen(65534, "c@pipe.example"));
        assertThat(environment).contains("QUEUE_ID=4F2A9C0B1D3E\n", "RECIPIENTS=\"a b\"@pipe.example\nc@pipe.example\n", "SENDER=s@client.example\n");
    }

    @Test
    void placeholdersBecomeOneArgumentEachWithoutAShell() throws Exception {
        Mail mail = mail("|" + recorder() + " --user ${user} --to ${recipient} --from=${sender} --hop ${nexthop}", "", "\"x y\"@pipe.example");

        init(new PipeDelivery(new RecordingMetricFactory()), Map.of()).service(mail);

        assertThat(seen(65534, "\"x y\"@pipe.example")).containsSubsequence("arg=--user", "arg=\"x y\"", "arg=--to", "arg=\"x y\"@pipe.example",
            "arg=--from=MAILER-DAEMON", "arg=--hop", "arg=|" + recorder() + " --user ${user} --to ${recipient} --from=${sender} --hop ${nexthop}");
    }

    @Test
    void anMdaRunsAsTheRecipientsAccountWithItsGroupsHomeAndNames() throws Exception {
        Mail mail = mdaMail(recorder() + " -d ${user}", "max@local.example", TestAccounts.MDA_USER);
        UnixAccount account = UnixAccounts.system().user(TestAccounts.MDA_USER).orElseThrow();

        init(new MdaDelivery(new RecordingMetricFactory()), Map.of()).service(mail);

        List<String> seen = seen(account.uid(), "max@local.example");
        assertThat(seen.subList(0, 4)).containsExactly(String.valueOf(account.uid()), String.valueOf(account.gid()),
            account.gid() + " 8", ACCOUNTS.home().toString());
        // exactly the line, ${user} filled in, nothing appended (it used to add a second -d USER)
        assertThat(seen.stream().filter(line -> line.startsWith("arg="))).containsExactly("arg=-d", "arg=" + TestAccounts.MDA_USER);
        assertThat(seen).contains("HOME=" + ACCOUNTS.home(), "USER=" + TestAccounts.MDA_USER, "LOGNAME=" + TestAccounts.MDA_USER, "SHELL=/bin/sh");
    }

    @Test
    void anMdaRecipientWhoseAccountHasUidZeroIsRefused() throws Exception {
        Mail mail = mdaMail(recorder(), "boss@local.example", TestAccounts.TOOR);

        init(new MdaDelivery(new RecordingMetricFactory()), Map.of()).service(mail);

        assertThat(context.sent).hasSize(1);
        assertThat(context.sent.get(0).state).isEqualTo("undeliverable");
        assertThat(context.sent.get(0).mail.getErrorMessage()).contains("5.7.1 <boss@local.example>: delivery refused: unix user '"
            + TestAccounts.TOOR + "' has uid 0");
        assertThat(Files.list(tmp).filter(file -> file.getFileName().toString().startsWith("seen"))).isEmpty();
    }

    private static Mail mdaMail(String nextHop, String recipient, String unixUser) throws Exception {
        Mail mail = mail(nextHop, "s@client.example", recipient);
        mail.setAttribute(new Attribute(AttributeName.of(RoutingAttributes.UNIX_USERS),
            AttributeValue.of(Map.<String, AttributeValue<?>>of(recipient, AttributeValue.of(unixUser)))));
        return mail;
    }
}
