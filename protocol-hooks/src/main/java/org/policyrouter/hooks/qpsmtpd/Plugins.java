package org.policyrouter.hooks.qpsmtpd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFileException;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.RelayControl;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the checks listed in qpsmtpd's {@code plugins} file of the config directory, in its order
 * and with its arguments, so an existing qpsmtpd config directory works unchanged:
 *
 * <pre>
 * &lt;handler class="org.policyrouter.hooks.qpsmtpd.Plugins"&gt;
 *   &lt;configDir&gt;/etc/qpsmtpd&lt;/configDir&gt;   &lt;!-- default file://conf/qpsmtpd --&gt;
 * &lt;/handler&gt;
 * </pre>
 *
 * For each SMTP stage the listed checks run in file order until one does not decline, as in
 * qpsmtpd. Lines for plugins James already covers (queue/*, logging/*, tls, auth/*…) are skipped
 * and named in one INFO line when the file is (re)loaded. A plugin we do not implement
 * (spamassassin, virus/clamdscan …) is a WARN naming it and its file:line, because what it does
 * is then not done at all; with {@code <unsupportedPlugins>refuse</unsupportedPlugins>} it is an
 * error instead, and James does not start. An edited file takes effect for new connections; an
 * invalid one (an unknown option value, a refused plugin) keeps the previous list. A file that
 * cannot be used at start stops James: running no check at all is not a fallback. Options of
 * this handler (configDir, fallbackDir, dnsServers, dnsTimeout …) apply to every listed check.
 */
public class Plugins extends QpsmtpdHandler implements RelayControl {
    private static final Logger LOGGER = LoggerFactory.getLogger(Plugins.class);

    private ControlFile<List<QpsmtpdHandler>> checks;
    private List<QpsmtpdHandler> running = List.of();

    @Override
    public String pluginName() {
        return "plugins";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        boolean refuseUnsupported = refusesUnsupported(environment.options());
        checks = environment.controlFiles().parsed("plugins",
            lines -> replaceChecks(instantiate(environment, PluginsFile.parse(lines), refuseUnsupported)));
        checks.loadError().ifPresent(error -> {
            throw new IllegalStateException("plugins file not usable: " + error);
        });
    }

    static boolean refusesUnsupported(Options options) {
        String value = options.string("unsupportedPlugins", "warn").trim().toLowerCase(Locale.ROOT);
        if (!value.equals("warn") && !value.equals("refuse")) {
            throw options.invalid("unsupportedPlugins", value, "warn or refuse");
        }
        return value.equals("refuse");
    }

    /**
     * The checks of a new version of the plugins file replace the previous ones, which let go of
     * what they opened (connections still running them keep working: shared stores stay open
     * while a new check of the same configuration holds them).
     */
    private synchronized List<QpsmtpdHandler> replaceChecks(List<QpsmtpdHandler> loaded) {
        List<QpsmtpdHandler> previous = running;
        running = loaded;
        previous.forEach(Plugins::releaseQuietly);
        return loaded;
    }

    @Override
    public synchronized void release() {
        running.forEach(Plugins::releaseQuietly);
        running = List.of();
    }

    private static void releaseQuietly(QpsmtpdHandler check) {
        try {
            check.release();
        } catch (RuntimeException e) {
            LOGGER.warn("qpsmtpd plugins: {}: {}", check.pluginName(), e.getMessage());
        }
    }

    private static List<QpsmtpdHandler> instantiate(CheckEnvironment environment, List<PluginsFile.Entry> entries, boolean refuseUnsupported) {
        for (PluginsFile.Entry entry : entries) {
            if (entry.isUnsupported() && refuseUnsupported) {
                throw new ControlFileException(entry.where + ": " + entry.name + " is not implemented here, and unsupportedPlugins is refuse: "
                    + "remove the line, or configure what it does in James");
            }
            if (entry.isUnsupported()) {
                // an operator who lists spamassassin believes mail is scanned: say loudly that it is not
                LOGGER.warn("qpsmtpd plugins: {}", unsupportedWarning(entry));
            }
        }
        List<QpsmtpdHandler> loaded = new ArrayList<>();
        for (PluginsFile.Entry entry : entries) {
            if (entry.check.isEmpty()) {
                continue;
            }
            QpsmtpdHandler check = entry.check.get().get();
            try {
                check.configure(environment.withOptions(Options.layered(environment.options(), entry.options)));
            } catch (IllegalArgumentException | IllegalStateException e) {
                loaded.forEach(Plugins::releaseQuietly);
                // an option's message already starts with file:line (Options' origin); anything else gets it
                String message = e.getMessage() != null && e.getMessage().startsWith(entry.where) ? e.getMessage()
                    : entry.where + ": " + entry.name + ": " + e.getMessage();
                throw new ControlFileException(message);
            }
            loaded.add(check);
        }
        String skipped = entries.stream().filter(e -> e.check.isEmpty())
            .map(e -> e.name + " (" + e.skipReason + ")").collect(Collectors.joining(", "));
        LOGGER.info("qpsmtpd plugins: running [{}]{}", loaded.stream().map(QpsmtpdHandler::pluginName).collect(Collectors.joining(", ")),
            skipped.isEmpty() ? "" : "; skipped: " + skipped);
        return List.copyOf(loaded);
    }

    /** What the log says of a listed plugin we do not implement, as {@code file:line: …} (policy-router check says the same). */
    static String unsupportedWarning(PluginsFile.Entry entry) {
        return entry.where + ": " + entry.name + " is not implemented here and is skipped: what it does is not done "
            + "(<unsupportedPlugins>refuse</unsupportedPlugins> makes this an error)";
    }

    /** The qpsmtpd names of the checks running now, in file order (what the start-up log lists). */
    List<String> runningPlugins() {
        return checks.get().stream().map(QpsmtpdHandler::pluginName).collect(Collectors.toList());
    }

    @Override
    protected boolean mayAccept() {
        // the listed checks' own guard has already turned an OK from anything but relay control into DECLINED
        return true;
    }

    @Override
    protected boolean reportsRejections() {
        return false;
    }

    private interface Hook {
        Verdict run(QpsmtpdHandler check);
    }

    private Verdict firstDecision(Hook hook) {
        for (QpsmtpdHandler check : checks.get()) {
            Verdict verdict = hook.run(check);
            if (verdict.code() != ReturnCode.DECLINED) {
                return verdict;
            }
        }
        return Verdict.DECLINED;
    }

    @Override
    public Verdict connect(Connection connection) {
        connection.connectionNotes().put(RUNNING, checks.get());
        return firstDecision(check -> check.checkConnect(connection));
    }

    @Override
    public Verdict helo(Connection connection, String host) {
        return firstDecision(check -> check.checkHelo(connection, host));
    }

    @Override
    public Verdict mail(Connection connection, EnvelopeAddress sender) {
        return firstDecision(check -> check.checkMail(connection, sender));
    }

    @Override
    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        return firstDecision(check -> check.checkRcpt(connection, recipient));
    }

    @Override
    public Verdict unrecognized(Connection connection, String command) {
        return firstDecision(check -> check.checkUnrecognized(connection, command));
    }

    @Override
    public Verdict dataPost(Connection connection) {
        return firstDecision(check -> check.checkDataPost(connection));
    }

    /** The relay decision of the listed relay checks (relay), for handlers that come before this one. */
    @Override
    public void decideRelay(Connection connection) {
        relayControls().forEach(check -> check.decideRelay(connection));
    }

    /** rcpthosts as the listed rcpt_ok reads it; false when no listed check accepts domains. */
    @Override
    public boolean isRcptHost(String domain) {
        return relayControls().anyMatch(check -> check.isRcptHost(domain));
    }

    private java.util.stream.Stream<RelayControl> relayControls() {
        return checks.get().stream().filter(RelayControl.class::isInstance).map(RelayControl.class::cast);
    }

    /** Disconnect goes to the checks the connection started with, even if the file changed since. */
    @Override
    @SuppressWarnings("unchecked")
    public void disconnect(Connection connection) {
        List<QpsmtpdHandler> started = (List<QpsmtpdHandler>) connection.connectionNotes().get(RUNNING).orElse(checks.get());
        started.forEach(check -> check.checkDisconnect(connection));
    }

    private static final String RUNNING = "plugins.running";
}
