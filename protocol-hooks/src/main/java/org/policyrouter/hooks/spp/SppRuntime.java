package org.policyrouter.hooks.spp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.james.core.Domain;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.protocols.smtp.SMTPSession;
import org.policyrouter.hooks.core.JamesConnection;
import org.policyrouter.hooks.core.RelayControl;
import org.policyrouter.hooks.core.WatchedFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the parts of one configured {@link SmtpPluginsHandler} share, for one SMTP server: the
 * configuration, the plugin lists, the plugin chain and its runner, and the workers that run
 * plugins off the I/O threads. Created at the handler's init, closed at its destroy (James stops
 * its SMTP servers' handlers when it stops), so no thread of it outlives James.
 */
final class SppRuntime implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(SppRuntime.class);

    final SppConfiguration config;
    final PluginChain chain;
    private final PluginRunner runner;
    private final Path workingDirectory;
    private final SmtpPluginsSource source;
    private final Map<Path, SmtpPluginsSource> otherSources = new ConcurrentHashMap<>();
    private final DNSService dns;
    private final DomainList domains;
    private final ExecutorService workers;
    private final WatchedFiles watchedFiles;
    private volatile List<RelayControl> relayControls = List.of();

    SppRuntime(SppConfiguration config, Path workingDirectory, SmtpPluginsSource source, DNSService dns, DomainList domains,
               WatchedFiles watchedFiles) {
        this.config = config;
        this.watchedFiles = watchedFiles;
        watchedFiles.register(source, this);
        this.workingDirectory = workingDirectory;
        this.source = source;
        this.dns = dns;
        this.domains = domains;
        this.runner = new PluginRunner(config.home, config.timeout, config.maxOutputBytes, config.setsid, config.user,
            (plugin, line) -> LOGGER.info("spp {}: {}", plugin.text(), line));
        this.chain = new PluginChain(runner);
        AtomicInteger threads = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "policyrouter-spp-worker-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Runs plugins off the I/O threads. */
    ExecutorService workers() {
        return workers;
    }

    /** The configured smtpplugins file, or the one SPPCONFFILE names for this client (as in qmail-spp). */
    Optional<SmtpPluginsFile> pluginsFor(Map<String, String> environment) {
        String named = environment.get("SPPCONFFILE");
        if (named == null || named.isEmpty()) {
            return Optional.of(source.current());
        }
        Path file = workingDirectory.resolve(named).normalize();
        try {
            return Optional.of(otherSources.computeIfAbsent(file, path -> {
                try {
                    SmtpPluginsSource other = SmtpPluginsSource.open(path);
                    watchedFiles.register(other, this);
                    return other;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).current());
        } catch (UncheckedIOException e) {
            LOGGER.error("spp: cannot read SPPCONFFILE {}: {}", file, e.getCause().toString());
            return Optional.empty();
        }
    }

    Optional<String> remoteHost(InetAddress client) {
        try {
            String name = dns.getHostName(client);
            // James answers the address itself when there is no PTR record; tcpserver leaves the variable unset
            return name == null || name.equals(client.getHostAddress()) ? Optional.empty() : Optional.of(withoutRootDot(name));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** dnsjava names end with the root's dot ({@code client.example.}); tcpserver's TCPREMOTEHOST does not. */
    static String withoutRootDot(String name) {
        return name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    /** The qpsmtpd relay checks of the same handler chain (relay, rcpt_ok, or the plugins file running them). */
    void setRelayControls(List<RelayControl> controls) {
        relayControls = List.copyOf(controls);
    }

    /**
     * Whether the client may relay, as the relay checks decide it: tcpserver gives qmail's
     * RELAYCLIENT before qmail-smtpd starts, so the [connection] plugins see it too. The checks
     * decide once per connection; if they come later in the chain, they find the decision taken.
     */
    boolean relayClient(SMTPSession session) {
        JamesConnection connection = new JamesConnection(session);
        for (RelayControl control : relayControls) {
            try {
                control.decideRelay(connection);
            } catch (RuntimeException e) {
                LOGGER.error("spp: relay decision failed, James's own kept", e);
            }
        }
        return session.isRelayingAllowed();
    }

    /** qmail's rcpthosts check: relaying allowed, a domain of ours, or one in rcpthosts/morercpthosts (rcpt_ok's lists). */
    boolean rcptHostsOk(SMTPSession session, Domain domain) {
        if (session.isRelayingAllowed()) {
            return true;
        }
        try {
            if (domains.containsDomain(domain)) {
                return true;
            }
        } catch (DomainListException e) {
            LOGGER.warn("spp: cannot read the domain list for SMTPRCPTHOSTSOK", e);
        }
        String name = domain.asString();
        return relayControls.stream().anyMatch(control -> control.isRcptHost(name));
    }

    /** Plugins still running are interrupted: James has stopped listening and closes its connections. */
    @Override
    public void close() {
        watchedFiles.forget(this);
        workers.shutdownNow();
        runner.close();
    }
}
