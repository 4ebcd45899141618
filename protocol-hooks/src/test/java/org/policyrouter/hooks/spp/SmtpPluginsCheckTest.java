package org.policyrouter.hooks.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.core.check.CheckReport;

/** Issue 16: policy-router check reads conf/smtpplugins as the SmtpPluginsHandler of smtpserver.xml does. */
class SmtpPluginsCheckTest {
    @TempDir
    Path home;

    private Path conf;

    @BeforeEach
    void distribution() throws Exception {
        conf = Files.createDirectory(home.resolve("conf"));
        Files.createDirectory(home.resolve("plugins"));
        Files.writeString(conf.resolve("smtpserver.xml"), "<smtpservers><smtpserver><handlerchain>\n"
            + "<handler class=\"org.policyrouter.hooks.spp.SmtpPluginsHandler\">\n"
            + "  <smtpplugins>conf/smtpplugins</smtpplugins><home>.</home><timeout>60s</timeout>\n"
            + "</handler>\n"
            + "</handlerchain></smtpserver></smtpservers>\n");
        executable(home.resolve("plugins/rbl"));
        executable(home.resolve("plugins/badhelo"));
    }

    private static void executable(Path file) throws Exception {
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private CheckReport check() {
        return new SmtpPluginsCheck().check(conf);
    }

    @Test
    void aMissingPluginProgramIsAnErrorNamingTheSmtppluginsLine() throws Exception {
        Files.writeString(conf.resolve("smtpplugins"), "[connection]\n:plugins/rbl zen.example.org\n[helo]\nplugins/badhelo\n"
            + "[mail]\nplugins/mfdnscheck\n[rcpt]\n:plugins/tarpit 5 3\n");

        CheckReport report = check();

        assertThat(report.errors()).containsExactly(
            conf.resolve("smtpplugins") + ":6: plugin program " + home.resolve("plugins/mfdnscheck") + " does not exist",
            conf.resolve("smtpplugins") + ":8: plugin program " + home.resolve("plugins/tarpit") + " does not exist");
    }

    @Test
    void aProgramThatIsNotExecutableIsAnError() throws Exception {
        Files.writeString(home.resolve("plugins/notyet"), "#!/bin/sh\n");
        Files.writeString(conf.resolve("smtpplugins"), "[mail]\nplugins/notyet\n");

        assertThat(check().errors()).containsExactly(
            conf.resolve("smtpplugins") + ":2: plugin program " + home.resolve("plugins/notyet") + " is not an executable file");
    }

    @Test
    void theParsersWarningsAreWarningsAndShellLinesBeyondAPathAreTheShells() throws Exception {
        Files.writeString(conf.resolve("smtpplugins"), "plugins/rbl\n[conection]\nplugins/rbl\n[helo]\n:echo \"$SMTPHELOHOST\" | logger\n"
            + "plugins/badhelo\n");

        CheckReport report = check();

        assertThat(report.errors()).isEmpty();
        assertThat(report.warnings()).containsExactly(
            conf.resolve("smtpplugins") + ":1: plugin outside any section ignored: plugins/rbl",
            conf.resolve("smtpplugins") + ":2: unknown section [conection]: its plugins are ignored");
        assertThat(report.summary()).hasValue(conf.resolve("smtpplugins") + ": OK: 2 plugins, home " + home);
    }

    @Test
    void aMissingListIsAnErrorAsAtTheServersStart() throws Exception {
        assertThat(check().errors()).singleElement().asString().startsWith(conf.resolve("smtpplugins") + ": cannot read the plugin list");
    }

    @Test
    void aBadHandlerOptionNamesSmtpServerXml() throws Exception {
        Files.writeString(conf.resolve("smtpplugins"), "");
        Files.writeString(conf.resolve("smtpserver.xml"), "<smtpservers><smtpserver><handlerchain>\n"
            + "<handler class=\"org.policyrouter.hooks.spp.SmtpPluginsHandler\"><timeout>soon</timeout></handler>\n"
            + "</handlerchain></smtpserver></smtpservers>\n");

        assertThat(check().errors()).singleElement().asString()
            .startsWith(conf.resolve("smtpserver.xml") + ": <handler class=\"org.policyrouter.hooks.spp.SmtpPluginsHandler\">: spp: <timeout>");
    }
}
