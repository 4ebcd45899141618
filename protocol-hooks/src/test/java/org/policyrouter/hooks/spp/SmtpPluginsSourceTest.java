package org.policyrouter.hooks.spp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmtpPluginsSourceTest {
    @TempDir
    Path dir;

    @Test
    void anEditAppliesToTheNextConnection() throws Exception {
        Path file = dir.resolve("smtpplugins");
        Files.writeString(file, "[mail]\nplugins/a\n");
        SmtpPluginsSource source = SmtpPluginsSource.open(file);
        SmtpPluginsFile before = source.current();

        Files.writeString(file, "[mail]\nplugins/a\nplugins/b\n");

        assertThat(before.plugins(Section.MAIL)).extracting(PluginLine::text).containsExactly("plugins/a");
        assertThat(source.current().plugins(Section.MAIL)).extracting(PluginLine::text).containsExactly("plugins/a", "plugins/b");
    }

    @Test
    void aFileThatDisappearsKeepsTheLastVersionRead() throws Exception {
        Path file = dir.resolve("smtpplugins");
        Files.writeString(file, "[rcpt]\nplugins/tarpit\n");
        SmtpPluginsSource source = SmtpPluginsSource.open(file);

        Files.delete(file);

        assertThat(source.current().plugins(Section.RCPT)).extracting(PluginLine::text).containsExactly("plugins/tarpit");
        assertThat(source.loadError()).hasValueSatisfying(error -> assertThat(error).startsWith("cannot read " + file + " (java.nio.file.NoSuchFileException"));

        Files.writeString(file, "[rcpt]\nplugins/other\n");
        assertThat(source.loadError()).isEmpty();
    }

    @Test
    void aMissingFileAtStartUpIsAnError() {
        assertThatThrownBy(() -> SmtpPluginsSource.open(dir.resolve("missing"))).isInstanceOf(NoSuchFileException.class);
    }
}
