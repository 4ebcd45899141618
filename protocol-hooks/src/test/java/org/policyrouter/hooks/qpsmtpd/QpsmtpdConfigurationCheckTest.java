package org.policyrouter.hooks.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.core.check.CheckReport;
import org.policyrouter.core.check.ConfigurationCheck;

/** Issue 16: policy-router check reads the plugins file and its control files with the server's parsers. */
class QpsmtpdConfigurationCheckTest {
    @TempDir
    Path home;

    private Path conf;
    private Path qpsmtpd;

    @BeforeEach
    void distribution() throws Exception {
        conf = Files.createDirectory(home.resolve("conf"));
        qpsmtpd = Files.createDirectory(conf.resolve("qpsmtpd"));
        smtpServer("<unsupportedPlugins>warn</unsupportedPlugins>");
    }

    private void smtpServer(String options) throws Exception {
        Files.writeString(conf.resolve("smtpserver.xml"), "<smtpservers><smtpserver><handlerchain>\n"
            + "<handler class=\"org.policyrouter.hooks.qpsmtpd.QmailNullSender\"/>\n"
            + "<handler class=\"org.policyrouter.hooks.qpsmtpd.Plugins\">\n"
            + "  <configDir>file://conf/qpsmtpd</configDir><fallbackDir>none</fallbackDir>" + options + "\n"
            + "</handler>\n"
            + "<handler class=\"org.apache.james.smtpserver.CoreCmdHandlerLoader\"/>\n"
            + "</handlerchain></smtpserver></smtpservers>\n");
    }

    private CheckReport check() {
        return new QpsmtpdConfigurationCheck().check(conf);
    }

    @Test
    void aBadLineInBadmailfromIsAnErrorNamingFileAndLine() throws Exception {
        Files.writeString(qpsmtpd.resolve("plugins"), "relay\nbadmailfrom\n");
        Files.writeString(qpsmtpd.resolve("badmailfrom"), "# spammers\n@spam.example\nnobody\n");

        CheckReport report = check();

        assertThat(report.errors()).containsExactly(qpsmtpd.resolve("badmailfrom") + ":3: an address or @host needs an @ sign (\"nobody\")");
        assertThat(report.warnings()).isEmpty();
    }

    @Test
    void aControlFileNoListedPluginReadsIsNotChecked() throws Exception {
        Files.writeString(qpsmtpd.resolve("plugins"), "relay\n");
        Files.writeString(qpsmtpd.resolve("badmailfrom"), "nobody\n");

        assertThat(check().errors()).isEmpty();
    }

    @Test
    void anUnsupportedPluginIsTheWarningTheServerLogs() throws Exception {
        Files.writeString(qpsmtpd.resolve("plugins"), "badrcptto\nspamassassin reject_threshold 7\nqueue/qmail-queue\n");

        CheckReport report = check();

        assertThat(report.errors()).isEmpty();
        assertThat(report.warnings()).containsExactly(qpsmtpd.resolve("plugins") + ":2: spamassassin is not implemented here and is skipped: "
            + "what it does is not done (<unsupportedPlugins>refuse</unsupportedPlugins> makes this an error)");
        assertThat(report.summary()).hasValue(qpsmtpd.resolve("plugins") + ": OK: running [badrcptto]; "
            + "skipped: spamassassin (not implemented), queue/qmail-queue (James does this itself)");
    }

    @Test
    void withRefuseAnUnsupportedPluginIsAnError() throws Exception {
        smtpServer("<unsupportedPlugins>refuse</unsupportedPlugins>");
        Files.writeString(qpsmtpd.resolve("plugins"), "badrcptto\nspamassassin\n");

        CheckReport report = check();

        assertThat(report.errors()).containsExactly(qpsmtpd.resolve("plugins")
            + ":2: spamassassin is not implemented here, and unsupportedPlugins is refuse: remove the line, or configure what it does in James");
        assertThat(report.warnings()).isEmpty();
    }

    @Test
    void aBadPluginOptionIsAnErrorNamingThePluginsLine() throws Exception {
        Files.writeString(qpsmtpd.resolve("plugins"), "relay\ngreylisting store nosql\n");

        assertThat(check().errors()).containsExactly(qpsmtpd.resolve("plugins")
            + ":2 (greylisting): option store = \"nosql\" is not file, postgresql or redis");
    }

    @Test
    void greylistingIsValidatedWithoutOpeningItsStore() throws Exception {
        Files.writeString(qpsmtpd.resolve("plugins"), "greylisting db_dir file://var/greylisting\n");

        assertThat(check().errors()).isEmpty();
        assertThat(home.resolve("var")).doesNotExist();
    }

    @Test
    void aBadHandlerOptionNamesSmtpServerXml() throws Exception {
        smtpServer("<unsupportedPlugins>ignore</unsupportedPlugins>");
        Files.writeString(qpsmtpd.resolve("plugins"), "relay\n");

        assertThat(check().errors()).singleElement().asString()
            .startsWith(conf.resolve("smtpserver.xml") + ": <handler class=\"org.policyrouter.hooks.qpsmtpd.Plugins\">: ")
            .contains("option unsupportedPlugins = \"ignore\" is not warn or refuse");
    }

    @Test
    void withoutSmtpServerXmlThereIsNothingToCheck() throws Exception {
        Files.delete(conf.resolve("smtpserver.xml"));

        assertThat(check().summary()).isEmpty();
    }

    @Test
    void isFoundByServiceLoaderAsPolicyRouterCheckLooksForIt() {
        assertThat(ServiceLoader.load(ConfigurationCheck.class).stream().map(p -> p.type().getSimpleName()).collect(Collectors.toList()))
            .contains("QpsmtpdConfigurationCheck", "SmtpPluginsCheck");
    }
}
