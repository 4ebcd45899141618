package org.policyrouter.hooks.spp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.policyrouter.core.Durations;
import org.policyrouter.core.process.RunAs;
import org.policyrouter.core.process.UnixAccounts;
import org.policyrouter.hooks.core.Cidr;

/**
 * The {@code <handler>} element of {@link SmtpPluginsHandler} in smtpserver.xml, read once into
 * typed values; every mistake names its element. Relative paths are relative to James's working
 * directory (the distribution folder of the bundled server).
 */
final class SppConfiguration {
    static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
    static final String DEFAULT_USER = "nobody";

    final Path smtpplugins;
    final Path home;
    final Duration timeout;
    final int maxOutputBytes;
    final Optional<Path> setsid;
    final boolean lookupRemoteHost;
    final boolean offIoThread;
    final ClientEnvironment clientEnvironment;
    /** Who the plugins run as: never root, as qmail-smtpd runs them as its own unprivileged user. */
    final RunAs user;

    private SppConfiguration(Path smtpplugins, Path home, Duration timeout, int maxOutputBytes, Optional<Path> setsid,
                             boolean lookupRemoteHost, boolean offIoThread, ClientEnvironment clientEnvironment, RunAs user) {
        this.smtpplugins = smtpplugins;
        this.home = home;
        this.timeout = timeout;
        this.maxOutputBytes = maxOutputBytes;
        this.setsid = setsid;
        this.lookupRemoteHost = lookupRemoteHost;
        this.offIoThread = offIoThread;
        this.clientEnvironment = clientEnvironment;
        this.user = user;
    }

    static SppConfiguration read(Configuration config, Path workingDirectory) throws ConfigurationException {
        Path smtpplugins = workingDirectory.resolve(config.getString("smtpplugins", "conf/smtpplugins")).normalize();
        Path home = workingDirectory.resolve(config.getString("home", ".")).normalize();
        Duration timeout = duration(config.getString("timeout", "60s"));
        int maxOutputBytes = config.getInt("maxOutputBytes", 65536);
        if (maxOutputBytes < 1024) {
            throw new ConfigurationException("spp: maxOutputBytes must be at least 1024, not " + maxOutputBytes);
        }
        String setsid = config.getString("setsid", "/usr/bin/setsid");
        return new SppConfiguration(smtpplugins, home, timeout, maxOutputBytes,
            setsid.isBlank() ? Optional.empty() : Optional.of(Path.of(setsid)),
            config.getBoolean("lookupRemoteHost", true),
            config.getBoolean("offIoThread", true),
            clientEnvironment(config),
            user(config.getString("user", DEFAULT_USER)));
    }

    /** {@code <user>NAME[:GROUP]</user>}: an existing account that is not root's. */
    private static RunAs user(String text) throws ConfigurationException {
        try {
            return UnixAccounts.system().runAs(text.trim());
        } catch (RuntimeException e) {
            throw new ConfigurationException("spp: <user>: " + e.getMessage());
        }
    }

    /** {@link Durations}: {@code 60s}, {@code 500ms}, or a number alone in seconds; positive. */
    static Duration duration(String text) throws ConfigurationException {
        Duration duration;
        try {
            duration = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("spp: <timeout>: " + e.getMessage());
        }
        if (duration.isZero()) {
            throw new ConfigurationException("spp: <timeout> must be positive: " + text);
        }
        return duration;
    }

    private static ClientEnvironment clientEnvironment(Configuration config) throws ConfigurationException {
        if (!(config instanceof HierarchicalConfiguration)) {
            return new ClientEnvironment(Map.of("PATH", DEFAULT_PATH), List.of());
        }
        @SuppressWarnings("unchecked")
        HierarchicalConfiguration<ImmutableNode> tree = (HierarchicalConfiguration<ImmutableNode>) config;
        Map<String, String> global = new LinkedHashMap<>();
        global.put("PATH", DEFAULT_PATH);
        global.putAll(variables(tree.configurationsAt("environment.variable"), "environment"));
        List<ClientEnvironment.Rule> rules = new ArrayList<>();
        for (HierarchicalConfiguration<ImmutableNode> client : tree.configurationsAt("client")) {
            String network = client.getString("[@network]");
            if (network == null) {
                throw new ConfigurationException("spp: <client> needs a network attribute, e.g. <client network=\"192.0.2.0/24\">");
            }
            try {
                rules.add(new ClientEnvironment.Rule(Cidr.parseStrictly(network), variables(client.configurationsAt("variable"), "client " + network)));
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException("spp: <client network=\"" + network + "\">: " + e.getMessage());
            }
        }
        return new ClientEnvironment(global, rules);
    }

    private static Map<String, String> variables(List<HierarchicalConfiguration<ImmutableNode>> elements, String where) throws ConfigurationException {
        Map<String, String> variables = new LinkedHashMap<>();
        for (HierarchicalConfiguration<ImmutableNode> element : elements) {
            String name = element.getString("[@name]");
            if (name == null || name.isEmpty() || name.contains("=")) {
                throw new ConfigurationException("spp: <variable> in " + where + " needs a name attribute without '='");
            }
            Object value = element.getNodeModel().getNodeHandler().getRootNode().getValue();
            variables.put(name, value == null ? "" : value.toString());
        }
        return variables;
    }
}
