package org.policyrouter.hooks.qpsmtpd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.policyrouter.core.check.CheckReport;
import org.policyrouter.core.check.ConfigurationCheck;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.ControlFiles;
import org.policyrouter.hooks.core.HandlerChecks;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.SmtpServerConfiguration;
import org.policyrouter.hooks.core.WatchedFiles;

/**
 * {@code policy-router check}: each qpsmtpd-style handler of {@code smtpserver.xml} (the plugins
 * file runner, or a check listed alone) is configured from its {@code <handler>} element exactly
 * as James would, without DNS or stores ({@link CheckEnvironment#forConfigurationCheck}), and
 * every control file it reads is loaded through its own parser; what the health check would
 * report are the errors. A plugin of the plugins file we do not implement is the warning the
 * server logs (an error with {@code <unsupportedPlugins>refuse</unsupportedPlugins>}).
 */
public final class QpsmtpdConfigurationCheck implements ConfigurationCheck {
    @Override
    public CheckReport check(Path conf) {
        return HandlerChecks.run(conf, QpsmtpdHandler.class, (smtpServer, home, handler, findings) ->
            handler.classOf(QpsmtpdHandler.class).ifPresent(type ->
                check(smtpServer, home, handler, type, findings.errors, findings.warnings, findings.summaries)));
    }

    private static void check(Path smtpServer, Path home, SmtpServerConfiguration.Handler handler, Class<? extends QpsmtpdHandler> type,
                              Set<String> errors, Set<String> warnings, List<String> summaries) {
        String where = smtpServer + ": <handler class=\"" + handler.className() + "\">: ";
        Options options = Options.fromXml(handler.configuration());
        WatchedFiles watched = new WatchedFiles();
        ControlFiles files;
        QpsmtpdHandler check;
        try {
            Path configDir = SmtpServerConfiguration.resolve(home, options.string("configDir", CheckEnvironment.DEFAULT_CONFIG_DIR));
            String fallback = options.string("fallbackDir", CheckEnvironment.DEFAULT_FALLBACK_DIR).trim();
            Optional<Path> fallbackDir = fallback.isEmpty() || fallback.equalsIgnoreCase("none")
                ? Optional.empty() : Optional.of(SmtpServerConfiguration.resolve(home, fallback));
            files = new ControlFiles(configDir, fallbackDir, Duration.ZERO, watched);
            check = type.getDeclaredConstructor().newInstance();
        } catch (IllegalArgumentException e) {
            errors.add(where + e.getMessage());
            return;
        } catch (ReflectiveOperationException e) {
            // not built by a no-argument constructor: James builds it, this check cannot
            return;
        }
        try {
            check.configure(CheckEnvironment.forConfigurationCheck(options, files, location -> SmtpServerConfiguration.resolve(home, location)));
        } catch (IllegalArgumentException | IllegalStateException e) {
            // the plugins file runner fails with its file's load error, which the files report below with file:line
            if (!(check instanceof Plugins) || watched.loadErrors().isEmpty()) {
                errors.add(where + e.getMessage());
            }
        }
        errors.addAll(watched.loadErrors());
        if (check instanceof Plugins) {
            plugins((Plugins) check, files, options, errors, warnings, summaries);
        }
        check.release();
        files.close();
    }

    private static void plugins(Plugins plugins, ControlFiles files, Options options, Set<String> errors, Set<String> warnings,
                                List<String> summaries) {
        Path file = files.configDir().resolve("plugins");
        List<PluginsFile.Entry> entries;
        try {
            entries = PluginsFile.parse(files.lines("plugins").get());
        } catch (RuntimeException e) {
            return;
        }
        boolean refused;
        try {
            refused = Plugins.refusesUnsupported(options);
        } catch (IllegalArgumentException e) {
            // already an error of the handler
            refused = true;
        }
        if (!refused) {
            entries.stream().filter(PluginsFile.Entry::isUnsupported).map(Plugins::unsupportedWarning).forEach(warnings::add);
        }
        if (errors.isEmpty()) {
            String skipped = entries.stream().filter(e -> e.check.isEmpty())
                .map(e -> e.name + " (" + e.skipReason + ")").collect(Collectors.joining(", "));
            summaries.add(file + ": OK: running [" + String.join(", ", plugins.runningPlugins()) + "]"
                + (skipped.isEmpty() ? "" : "; skipped: " + skipped));
        }
    }
}
