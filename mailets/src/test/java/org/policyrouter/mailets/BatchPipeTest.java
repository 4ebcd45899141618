package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.policy.RoutingAttributes;

/**
 * Issue 18: pipes run once per recipient unless their line asks for all of them with the argument
 * {@code ${recipients}}. Counted by the program itself: one line in its log per run.
 */
class BatchPipeTest {
    @TempDir
    Path tmp;

    @org.junit.jupiter.api.BeforeEach
    void letTheProgramsWrite() throws Exception {
        ProgramDirectories.writableByAnyone(tmp);
    }

    private PipeDelivery pipe() throws Exception {
        PipeDelivery mailet = new PipeDelivery(new RecordingMetricFactory());
        mailet.init(FakeMailetConfig.builder().mailetName("deliver-pipe").mailetContext(FakeMailContext.defaultContext()).build());
        return mailet;
    }

    private Mail mailTo(String nextHop, String... recipients) throws Exception {
        return RoutedMail.of(nextHop, "sender@client.example", MimeMessageBuilder.mimeMessageBuilder().setSubject("batch").setText("body"), recipients);
    }

    /** A program that appends its arguments and $RECIPIENT to a log, one line per run, and reads the message. */
    private String logging(String exit) {
        return "|/bin/sh -c 'echo \"$RECIPIENT|$*\" >> " + tmp.resolve("runs") + "; cat > /dev/null; exit " + exit + "' sh";
    }

    @Test
    void aLineNamingAllRecipientsRunsOnceWithEachAsItsOwnArgument() throws Exception {
        Mail mail = mailTo(logging("0") + " --to ${recipients} --end", "a@x.example", "B@x.example", "c@y.example");

        pipe().service(mail);

        assertThat(Files.readAllLines(tmp.resolve("runs"))).containsExactly("|--to a@x.example B@x.example c@y.example --end");
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void theExitStatusOfTheOneRunIsEveryRecipientsOutcome() throws Exception {
        Mail mail = mailTo(logging("75") + " ${recipients}", "a@x.example", "b@x.example");

        pipe().service(mail);

        assertThat(Files.readAllLines(tmp.resolve("runs"))).hasSize(1);
        assertThat(mail.getState()).isEqualTo("deferred");
        assertThat(mail.getRecipients()).extracting(MailAddress::asString).containsExactly("a@x.example", "b@x.example");
    }

    @Test
    void withoutThePlaceholderThePipeRunsOncePerRecipient() throws Exception {
        Mail mail = mailTo(logging("0"), "a@x.example", "b@x.example");

        pipe().service(mail);

        assertThat(Files.readAllLines(tmp.resolve("runs"))).isEqualTo(List.of("a@x.example|", "b@x.example|"));
    }
}
