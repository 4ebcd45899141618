package org.policyrouter.policy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16: {@code policy-router config}, the settings the files make, as {@code postconf -n} lists them. */
class ConfigCommandTest {
    @TempDir
    Path conf;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return PolicyRouterCli.run(Arrays.asList(args), new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void listsOurHandlersAndMailetsParametersAndTheProperties() throws Exception {
        Files.writeString(conf.resolve("smtpserver.xml"), "<smtpservers><smtpserver enabled=\"true\"><bind>127.0.0.1:2525</bind>"
            + "<handlerchain><handler class=\"org.policyrouter.hooks.spp.SmtpPluginsHandler\"><timeout>60s</timeout>"
            + "<environment><variable name=\"PATH\">/usr/bin:/bin</variable></environment></handler>"
            + "<handler class=\"org.apache.james.smtpserver.CoreCmdHandlerLoader\"/></handlerchain></smtpserver></smtpservers>");
        Files.writeString(conf.resolve("mailetcontainer.xml"), "<mailetcontainer><processors><processor state=\"routed\">"
            + "<mailet match=\"org.policyrouter.matchers.NextHopIs=smtp\" class=\"org.policyrouter.mailets.RelayDelivery\">"
            + "<connectTimeout>30s</connectTimeout></mailet><mailet match=\"All\" class=\"Null\"/></processor></processors></mailetcontainer>");
        Files.writeString(conf.resolve("webadmin.properties"), "# comment\nport=8000\nhost=127.0.0.1\n");

        assertThat(run("config", conf.toString())).isZero();

        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly(
            "smtpserver.xml: smtpserver[1].enabled = true",
            "smtpserver.xml: smtpserver[1].bind = 127.0.0.1:2525",
            "smtpserver.xml: smtpserver[1].SmtpPluginsHandler.timeout = 60s",
            "smtpserver.xml: smtpserver[1].SmtpPluginsHandler.environment.variable[name=PATH] = /usr/bin:/bin",
            "mailetcontainer.xml: routed/RelayDelivery[NextHopIs=smtp]",
            "mailetcontainer.xml: routed/RelayDelivery[NextHopIs=smtp].connectTimeout = 30s",
            "webadmin.properties: host = 127.0.0.1",
            "webadmin.properties: port = 8000");
    }

    @Test
    void aBrokenFileIsNamed() throws Exception {
        Files.writeString(conf.resolve("smtpserver.xml"), "<smtpservers><smtpserver>");

        assertThat(run("config", conf.toString())).isEqualTo(1);

        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("policy-router config: " + conf.resolve("smtpserver.xml"));
    }
}
