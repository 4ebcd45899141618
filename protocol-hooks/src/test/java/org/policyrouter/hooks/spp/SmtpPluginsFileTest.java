package org.policyrouter.hooks.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class SmtpPluginsFileTest {
    private static SmtpPluginsFile parse(String... lines) {
        return SmtpPluginsFile.parse("smtpplugins", List.of(lines));
    }

    @Test
    void keepsPluginsOfEachSectionInFileOrder() {
        SmtpPluginsFile file = parse(
            "# smtpplugins sample file",
            "[connection]",
            ":plugins/rbl -r relays.example",
            "",
            "[mail]",
            "plugins/blacklisted",
            "plugins/spf   ",
            "[rcpt]",
            "plugins/rcptexists",
            ":plugins/tarpit --start-after=5 --wait=3");

        assertThat(file.plugins(Section.CONNECTION)).extracting(PluginLine::text).containsExactly(":plugins/rbl -r relays.example");
        assertThat(file.plugins(Section.MAIL)).extracting(PluginLine::text).containsExactly("plugins/blacklisted", "plugins/spf");
        assertThat(file.plugins(Section.RCPT)).extracting(PluginLine::text).containsExactly("plugins/rcptexists", ":plugins/tarpit --start-after=5 --wait=3");
        assertThat(file.plugins(Section.DATA)).isEmpty();
        assertThat(file.plugins(Section.MAIL).get(1).location()).isEqualTo("smtpplugins:7");
        assertThat(file.warnings()).isEmpty();
    }

    @Test
    void aFileWithOnlySectionsAndCommentsHasNoPlugins() {
        SmtpPluginsFile file = parse("[connection]", "[helo]", "#plugins/x", "[mail]", "[rcpt]", "[data]", "[auth]");

        assertThat(file.isEmpty()).isTrue();
        assertThat(file.warnings()).isEmpty();
    }

    @Test
    void warnsAboutUnknownSectionsAndIgnoresTheirPlugins() {
        SmtpPluginsFile file = parse("[pass]", "plugins/after-rcpt", "[rcpt]", "plugins/x");

        assertThat(file.plugins(Section.RCPT)).extracting(PluginLine::text).containsExactly("plugins/x");
        assertThat(file.warnings()).containsExactly("smtpplugins:1: unknown section [pass]: its plugins are ignored");
    }

    @Test
    void warnsAboutPluginsBeforeTheFirstSection() {
        SmtpPluginsFile file = parse("plugins/orphan", "[helo]");

        assertThat(file.isEmpty()).isTrue();
        assertThat(file.warnings()).containsExactly("smtpplugins:1: plugin outside any section ignored: plugins/orphan");
    }

    @Test
    void shellLinesKeepTheirArgumentsAndShowOnlyTheProgramToClients() {
        PluginLine shell = new PluginLine(":plugins/rbl -k SECRET", "f:1");
        PluginLine direct = new PluginLine("plugins/with space", "f:2");

        assertThat(shell.runsThroughShell()).isTrue();
        assertThat(shell.argv(java.nio.file.Paths.get("/home"))).containsExactly("/bin/sh", "-c", "plugins/rbl -k SECRET");
        assertThat(shell.programName()).isEqualTo("plugins/rbl");
        assertThat(direct.argv(java.nio.file.Paths.get("/home"))).containsExactly("/home/plugins/with space");
        assertThat(direct.programName()).isEqualTo("plugins/with space");
    }
}
