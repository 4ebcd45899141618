package org.policyrouter.hooks.spp;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.policyrouter.core.check.CheckReport;
import org.policyrouter.core.check.ConfigurationCheck;
import org.policyrouter.core.process.Executables;
import org.policyrouter.hooks.core.HandlerChecks;
import org.policyrouter.hooks.core.SmtpServerConfiguration;

/**
 * {@code policy-router check}: the smtpplugins list of each {@link SmtpPluginsHandler} of
 * {@code smtpserver.xml}, read with the handler's own configuration ({@code <smtpplugins>},
 * {@code <home>}) and parser: its warnings are the server's, and a plugin program that does not
 * exist or cannot be executed in the plugin home is an error naming its line (the server would
 * answer 451 for it at every connection). For a {@code :} line run through the shell, its first
 * word is checked when it is a plain path with a {@code /}; anything else is the shell's.
 */
public final class SmtpPluginsCheck implements ConfigurationCheck {
    private static final Pattern PLAIN_PATH = Pattern.compile("[A-Za-z0-9_.+/-]*/[A-Za-z0-9_.+/-]*");

    @Override
    public CheckReport check(Path conf) {
        return HandlerChecks.run(conf, SmtpPluginsHandler.class, SmtpPluginsCheck::check);
    }

    private static void check(Path smtpServer, Path home, SmtpServerConfiguration.Handler handler, HandlerChecks.Findings findings) {
        SppConfiguration config;
        try {
            config = SppConfiguration.read(handler.configuration(), home);
        } catch (ConfigurationException | RuntimeException e) {
            findings.errors.add(smtpServer + ": <handler class=\"" + handler.className() + "\">: " + e.getMessage());
            return;
        }
        SmtpPluginsFile file;
        try {
            file = SmtpPluginsFile.read(config.smtpplugins);
        } catch (IOException e) {
            // as the server's start fails
            findings.errors.add(config.smtpplugins + ": cannot read the plugin list (" + e + ")");
            return;
        }
        findings.warnings.addAll(file.warnings());
        int plugins = 0;
        for (Section section : Section.values()) {
            for (PluginLine plugin : file.plugins(section)) {
                plugins++;
                programProblem(plugin, config.home).ifPresent(problem -> findings.errors.add(plugin.location() + ": plugin program " + problem));
            }
        }
        findings.summaries.add(config.smtpplugins + ": OK: " + plugins + (plugins == 1 ? " plugin" : " plugins") + ", home " + config.home);
    }

    /** Why the program of a plugin line cannot run from {@code home}, as the runner would start it. */
    static Optional<String> programProblem(PluginLine plugin, Path home) {
        if (!plugin.runsThroughShell()) {
            return Executables.problem(plugin.argv(home).get(0), Map.of(), Optional.empty());
        }
        String program = plugin.programName();
        if (!PLAIN_PATH.matcher(program).matches()) {
            return Optional.empty();
        }
        // the shell runs in the plugin home: a relative path is taken from there
        return Executables.problem(program, Map.of(), Optional.of(home));
    }
}
