package org.policyrouter.policy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.policy.PolicyDirectory;

/**
 * Issue 15: {@code queue/NAME} must be a built-in queue plugin or a processor of James's chain,
 * which {@code check} reads from {@code conf/mailetcontainer.xml} beside {@code conf/policy}.
 */
class QueueProcessorCheckTest {
    @TempDir
    Path conf;

    private Path policy;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void chain() throws Exception {
        policy = Files.createDirectory(conf.resolve("policy"));
        Files.writeString(conf.resolve("mailetcontainer.xml"), "<mailetcontainer><processors>"
            + "<processor state=\"root\"/><processor state=\"transport\"/><processor state=\"robots\"><mailet match=\"All\" class=\"Null\"/></processor>"
            + "</processors></mailetcontainer>");
    }

    private int run(String... args) {
        return PolicyRouterCli.run(Arrays.asList(args), new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void aQueueNextHopWithoutSuchProcessorOrBuiltInFailsNamingTheLine() {
        new PolicyDirectory(policy).write("transport", "robots.example queue/robots", "maildir.example queue/maildir",
            "qq.example queue/qmail-queue", "typo.example queue/nonexistent");

        assertThat(run("check", policy.toString())).isEqualTo(1);

        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(
            "transport:4: queue/nonexistent: no such processor in " + conf.resolve("mailetcontainer.xml")
                + " and no built-in queue plugin nonexistent (built-in: maildir, qmail-queue, smtp-forward, qmqp-forward)\n"
                + policy + ": 1 error\n");
    }

    @Test
    void anotherProcessorChainCanBeNamed() throws Exception {
        Path other = conf.resolve("other.xml");
        Files.writeString(other, "<mailetcontainer><processors><processor state=\"nonexistent\"/></processors></mailetcontainer>");
        new PolicyDirectory(policy).write("transport", "typo.example queue/nonexistent");

        assertThat(run("check", "--mailetcontainer", other.toString(), policy.toString())).isZero();
        assertThat(run("check", policy.toString())).isEqualTo(1);
    }

    @Test
    void withoutAChainToReadTheProcessorsAreNotCheckedAndCheckSaysSo() throws Exception {
        Files.delete(conf.resolve("mailetcontainer.xml"));
        new PolicyDirectory(policy).write("transport", "typo.example queue/nonexistent");

        assertThat(run("check", policy.toString())).isZero();

        assertThat(out.toString(StandardCharsets.UTF_8)).contains("note: no " + conf.resolve("mailetcontainer.xml")
            + ", so queue/NAME processors are not checked (--mailetcontainer FILE)");
    }

    @Test
    void aDuplicateDestinationIsAWarningWithBothLinesAndTheTableIsValid() {
        new PolicyDirectory(policy).write("transport", "a.example 10.0.0.1", "b.example queue/robots", "a.example 10.0.0.2");

        assertThat(run("check", policy.toString())).isZero();

        assertThat(err.toString(StandardCharsets.UTF_8)).contains("transport:3:").contains("line 1");
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("OK: 0 variables, 2 transport rules");
    }
}
