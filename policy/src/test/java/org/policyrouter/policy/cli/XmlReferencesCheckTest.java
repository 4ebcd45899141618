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
 * Issue 16: {@code check} also finds what James would only find at start: this project's classes
 * in smtpserver.xml and mailetcontainer.xml that do not exist, and processor parameters naming no
 * processor.
 */
class XmlReferencesCheckTest {
    /** A class of ours that is on this module's class path. */
    private static final String EXISTING = PolicyRouterCli.class.getName();

    @TempDir
    Path conf;

    private Path policy;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void distribution() throws Exception {
        policy = Files.createDirectory(conf.resolve("policy"));
        new PolicyDirectory(policy).write("transport", "example.com 10.0.0.1");
        smtpServer(EXISTING);
        mailetContainer(EXISTING, "undeliverable");
    }

    private void smtpServer(String handler) throws Exception {
        Files.writeString(conf.resolve("smtpserver.xml"), "<smtpservers>\n<smtpserver>\n<handlerchain>\n"
            + "<handler class=\"" + handler + "\"/>\n"
            + "<handler class=\"org.apache.james.smtpserver.CoreCmdHandlerLoader\"/>\n"
            + "</handlerchain>\n</smtpserver>\n</smtpservers>\n");
    }

    private void mailetContainer(String mailet, String loopProcessor) throws Exception {
        Files.writeString(conf.resolve("mailetcontainer.xml"), "<mailetcontainer><processors>\n"
            + "<processor state=\"root\">\n"
            + "  <mailet match=\"All\" class=\"ToProcessor\"><processor>transport</processor></mailet>\n"
            + "</processor>\n"
            + "<processor state=\"transport\">\n"
            + "  <mailet match=\"" + EXISTING + "=queue\" class=\"" + mailet + "\">\n"
            + "    <loopProcessor>" + loopProcessor + "</loopProcessor>\n"
            + "  </mailet>\n"
            + "  <mailet match=\"All\" class=\"Null\"/>\n"
            + "</processor>\n"
            + "<processor state=\"undeliverable\"/>\n"
            + "</processors></mailetcontainer>\n");
    }

    private int run(String... args) {
        return PolicyRouterCli.run(Arrays.asList(args), new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void everyReferenceResolvesSoCheckSaysOk() {
        assertThat(run("check", policy.toString())).isZero();

        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).contains(
            conf.resolve("smtpserver.xml") + ": OK: handler classes",
            conf.resolve("mailetcontainer.xml") + ": OK: mailet and matcher classes, processor names");
    }

    @Test
    void anUnknownHandlerClassOfOursIsAnErrorNamingSmtpServerXmlAndLine() throws Exception {
        smtpServer("org.policyrouter.hooks.qpsmtpd.BadMailFromm");

        assertThat(run("check", policy.toString())).isEqualTo(1);

        assertThat(err.toString(StandardCharsets.UTF_8).lines()).containsExactly(
            conf.resolve("smtpserver.xml") + ":4: <handler class=\"org.policyrouter.hooks.qpsmtpd.BadMailFromm\">: "
                + "no such class in James's lib or extensions-jars",
            conf + ": 1 error");
        // the policy tables themselves are fine, and say so
        assertThat(out.toString(StandardCharsets.UTF_8)).contains(policy + ": OK:");
    }

    @Test
    void anUnknownMailetClassOfOursIsAnError() throws Exception {
        mailetContainer("org.policyrouter.mailets.RoutePolicyy", "undeliverable");

        assertThat(run("check", policy.toString())).isEqualTo(1);

        assertThat(err.toString(StandardCharsets.UTF_8)).contains(conf.resolve("mailetcontainer.xml")
            + ":6: <mailet class=\"org.policyrouter.mailets.RoutePolicyy\">: no such class in James's lib or extensions-jars");
    }

    @Test
    void aProcessorParameterNamingNoProcessorIsAnError() throws Exception {
        mailetContainer(EXISTING, "undeliverabel");

        assertThat(run("check", policy.toString())).isEqualTo(1);

        assertThat(err.toString(StandardCharsets.UTF_8).lines()).containsExactly(
            conf.resolve("mailetcontainer.xml") + ":7: <loopProcessor>undeliverabel</loopProcessor> of PolicyRouterCli: "
                + "no such processor (processors: root, transport, undeliverable)",
            conf + ": 1 error");
    }

    @Test
    void jamesOwnShortNamesAreLeftToJames() throws Exception {
        smtpServer("NoSuchJamesHandler");

        assertThat(run("check", policy.toString())).isZero();
    }

    @Test
    void tablesAndXmlErrorsAreAllReportedInOneRun() throws Exception {
        new PolicyDirectory(policy).write("transport", "example.com host:0");
        smtpServer("org.policyrouter.NoSuchHandler");

        assertThat(run("check", policy.toString())).isEqualTo(1);

        assertThat(err.toString(StandardCharsets.UTF_8)).contains("transport:1: port 0 out of range", "org.policyrouter.NoSuchHandler");
    }
}
