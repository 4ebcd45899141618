package org.policyrouter.hooks.core;

import java.io.File;
import java.io.FileNotFoundException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.apache.james.core.Domain;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.filesystem.api.FileSystem;
import org.policyrouter.core.SharedResources;

/**
 * What a check works with besides its own options: its control files, DNS, and which domains
 * are James's own. Built from the handler's options and James's services, or by a test.
 *
 * <p>Options every check understands: {@code configDir} (default {@code file://conf/qpsmtpd}),
 * {@code fallbackDir} (default {@code /var/qmail/control}, {@code none} for no fallback),
 * {@code reloadInterval} (how often control files are checked for changes, default 1 s),
 * {@code dnsServers} (host[:port] list: query these directly with Netty's resolver instead of James's
 * DNSService), {@code dnsTimeout} (per query, default 5 s), {@code dnsCacheSize} (default 10000).
 */
public final class CheckEnvironment {
    public static final String DEFAULT_CONFIG_DIR = "file://conf/qpsmtpd";
    public static final String DEFAULT_FALLBACK_DIR = "/var/qmail/control";
    private static final SharedResources<String, Dns> SHARED_DNS = new SharedResources<>();

    private final Options options;
    private final ControlFiles controlFiles;
    private final Supplier<Dns> dns;
    private final Predicate<String> localDomains;
    private final java.util.function.Function<String, Path> paths;
    private final Runnable release;
    private final boolean opensStores;

    public CheckEnvironment(Options options, ControlFiles controlFiles, Supplier<Dns> dns, Predicate<String> localDomains,
                            java.util.function.Function<String, Path> paths) {
        this(options, controlFiles, dns, localDomains, paths, () -> { }, true);
    }

    private CheckEnvironment(Options options, ControlFiles controlFiles, Supplier<Dns> dns, Predicate<String> localDomains,
                             java.util.function.Function<String, Path> paths, Runnable release, boolean opensStores) {
        this.options = options;
        this.controlFiles = controlFiles;
        this.dns = dns;
        this.localDomains = localDomains;
        this.paths = paths;
        this.release = release;
        this.opensStores = opensStores;
    }

    /**
     * The environment of {@code policy-router check}: a check is configured to validate its options
     * and control files, and never runs, so it has no DNS and opens no store (the running server
     * holds the greylisting journal; a database need not be reachable from where the check runs).
     */
    public static CheckEnvironment forConfigurationCheck(Options options, ControlFiles controlFiles, java.util.function.Function<String, Path> paths) {
        return new CheckEnvironment(options, controlFiles, () -> {
            throw new IllegalStateException("no DNS in a configuration check");
        }, domain -> false, paths, () -> { }, false);
    }

    /** The environment of a check inside James, from its options and James's services. */
    public static CheckEnvironment fromJames(Options options, FileSystem fileSystem, DNSService dnsService, DomainList domainList,
                                             WatchedFiles watchedFiles) {
        Path configDir = resolve(fileSystem, options.string("configDir", DEFAULT_CONFIG_DIR));
        String fallback = options.string("fallbackDir", DEFAULT_FALLBACK_DIR).trim();
        Optional<Path> fallbackDir = fallback.isEmpty() || fallback.equalsIgnoreCase("none")
            ? Optional.empty() : Optional.of(resolve(fileSystem, fallback));
        ControlFiles files = new ControlFiles(configDir, fallbackDir, options.duration("reloadInterval", Duration.ofSeconds(1)), watchedFiles);
        SharedResources.Lease<Dns> dns = sharedDns(options, dnsService);
        return new CheckEnvironment(options, files, dns, domain -> isLocal(domainList, domain),
            location -> resolve(fileSystem, location), () -> {
                files.close();
                dns.close();
            }, true);
    }

    /** The same environment for another set of options (a plugin in the plugins file); its owner releases it. */
    public CheckEnvironment withOptions(Options pluginOptions) {
        return new CheckEnvironment(pluginOptions, controlFiles, dns, localDomains, paths, () -> { }, opensStores);
    }

    /**
     * Lets go of the shared DNS resolver (its threads end with the last handler using it) and of
     * the health check's view of the control files: the handler that built this environment calls
     * it when James destroys the handler.
     */
    public void release() {
        release.run();
    }

    /** How many DNS resolvers the handlers share now (one per distinct DNS configuration). */
    static int sharedResolvers() {
        return SHARED_DNS.size();
    }

    private static SharedResources.Lease<Dns> sharedDns(Options options, DNSService dnsService) {
        Duration timeout = options.duration("dnsTimeout", Duration.ofSeconds(5));
        int cacheSize = options.integer("dnsCacheSize", 10000);
        List<InetSocketAddress> servers = options.getAll("dnsServers").stream()
            .flatMap(value -> Arrays.stream(value.split("[\\s,]+")))
            .filter(s -> !s.isEmpty())
            .map(NettyDnsResolver::parseServer)
            .collect(Collectors.toList());
        String key = servers + " " + timeout + " " + cacheSize + (servers.isEmpty() ? " james@" + System.identityHashCode(dnsService) : "");
        // parse errors surface at init; the resolver itself is built on first use
        return SHARED_DNS.acquire(key, () -> new CachingDns(servers.isEmpty()
            ? new JamesDns(dnsService, timeout) : new NettyDnsResolver(servers, timeout), cacheSize));
    }

    private static Path resolve(FileSystem fileSystem, String location) {
        if (!location.contains("://")) {
            return Path.of(location);
        }
        try {
            File file = fileSystem.getFile(location);
            return file.toPath();
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("cannot resolve " + location + ": " + e.getMessage(), e);
        }
    }

    private static boolean isLocal(DomainList domainList, String domain) {
        try {
            return domainList.containsDomain(Domain.of(domain));
        } catch (DomainListException | IllegalArgumentException e) {
            return false;
        }
    }

    /** False in a configuration check: a check validates its store options but opens nothing. */
    public boolean opensStores() {
        return opensStores;
    }

    public Options options() {
        return options;
    }

    public ControlFiles controlFiles() {
        return controlFiles;
    }

    public Dns dns() {
        return dns.get();
    }

    /** A path option: a plain path, or a James URL such as {@code file://var/greylisting}. */
    public Path path(String location) {
        return paths.apply(location);
    }

    /** True for domains James itself hosts (its DomainList). */
    public boolean isLocalDomain(String domain) {
        return localDomains.test(domain);
    }
}
