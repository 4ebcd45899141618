package org.policyrouter.hooks.spp;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The qmail-spp state of one SMTP connection: the environment plugins see (which qmail-smtpd keeps
 * in its own process environment, so S and U last for the session), whether plugins still run,
 * the errors queued by LM/LR/LD, the headers queued by H and the RCPT counters.
 *
 * <p>Not thread-safe: the SMTP server handles one command of a connection at a time.
 */
public final class SppSession {
    public static final String NOSPP = "NOSPP";

    private final SmtpPluginsFile plugins;
    private final Map<String, String> environment;
    private final Map<String, Supplier<Optional<String>>> deferred = new LinkedHashMap<>();
    private final Map<Section, List<ReplyLine>> laterErrors = new EnumMap<>(Section.class);
    /** The plugin that queued the first of each section's errors: the reject log names it. */
    private final Map<Section, PluginLine> laterErrorSources = new EnumMap<>(Section.class);
    private final List<String> headers = new ArrayList<>();
    private boolean accepted;
    private int rcptCountAll;

    /**
     * @param plugins     the smtpplugins file as it was when the connection came in (qmail-smtpd
     *                    reads it once per connection; an edit applies to the next one)
     * @param environment the starting environment (configured and tcpserver variables)
     */
    public SppSession(SmtpPluginsFile plugins, Map<String, String> environment) {
        this.plugins = plugins;
        this.environment = new LinkedHashMap<>(environment);
    }

    public SmtpPluginsFile plugins() {
        return plugins;
    }

    /** Plugins run unless a plugin answered A or NOSPP is set (by configuration or by S). */
    public boolean isActive() {
        return !accepted && !environment.containsKey(NOSPP);
    }

    /** Whether a command of this section would start a plugin. */
    public boolean runsPlugins(Section section) {
        return isActive() && !plugins.plugins(section).isEmpty();
    }

    void acceptForSession() {
        accepted = true;
    }

    /**
     * A variable worked out only when a plugin first runs (TCPREMOTEHOST needs a DNS lookup, which
     * sessions without plugins should not pay for); absent if the supplier gives nothing.
     */
    public void setWhenNeeded(String name, Supplier<Optional<String>> value) {
        deferred.put(name, value);
    }

    public Map<String, String> environment() {
        resolveDeferred();
        return Map.copyOf(environment);
    }

    public String variable(String name) {
        resolveDeferred();
        return environment.get(name);
    }

    private void resolveDeferred() {
        if (deferred.isEmpty()) {
            return;
        }
        deferred.forEach((name, value) -> value.get().ifPresent(resolved -> environment.putIfAbsent(name, resolved)));
        deferred.clear();
    }

    public void set(String name, String value) {
        environment.put(name, value);
    }

    public void unset(String name) {
        environment.remove(name);
    }

    void addLaterError(Section section, ReplyLine reply, PluginLine plugin) {
        laterErrors.computeIfAbsent(section, s -> new ArrayList<>()).add(reply);
        laterErrorSources.putIfAbsent(section, plugin);
    }

    Optional<PluginLine> laterErrorSource(Section section) {
        return Optional.ofNullable(laterErrorSources.get(section));
    }

    /** The errors LM/LR/LD queued for this command: qmail-spp shows them at every such command until RSET. */
    public List<ReplyLine> laterErrors(Section section) {
        return List.copyOf(laterErrors.getOrDefault(section, List.of()));
    }

    void addHeader(String header) {
        headers.add(header);
    }

    public List<String> headers() {
        return List.copyOf(headers);
    }

    /** SMTPRCPTCOUNTALL: every RCPT of the transaction so far, this one included, rejected ones too. */
    int countRcpt() {
        return ++rcptCountAll;
    }

    /** qmail-spp's MAIL: the RCPT counters start again. */
    void startTransaction() {
        rcptCountAll = 0;
    }

    /** qmail-spp's spp_rset, run at RSET and after DATA: queued headers and errors are gone. */
    public void reset() {
        headers.clear();
        laterErrors.clear();
        laterErrorSources.clear();
        rcptCountAll = 0;
    }
}
