package org.policyrouter.hooks.core;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.api.TemporaryResolutionException;

/**
 * James's own DNSService (dnsservice.xml, its dnsjava cache, or a test's InMemoryDNSService)
 * behind our asynchronous interface. DNSService blocks, so calls run on a small bounded pool
 * ({@link BlockingCalls}), never on a Netty I/O thread; the caller's wait is bounded by the timeout. James cannot tell
 * "no such name" from "no records of this type", so both are NXDOMAIN here.
 */
public final class JamesDns implements Dns {
    private final DNSService dnsService;
    private final Duration timeout;
    private final BlockingCalls calls = new BlockingCalls("dns", 4, 1000);

    public JamesDns(DNSService dnsService, Duration timeout) {
        this.dnsService = dnsService;
        this.timeout = timeout;
    }

    @Override
    public CompletableFuture<DnsAnswer> query(String name, Type type) {
        return calls.submit(() -> lookup(name, type))
            .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .exceptionally(error -> error instanceof TimeoutException
                || error.getCause() instanceof TimeoutException ? DnsAnswer.timeout() : DnsAnswer.failed());
    }

    @Override
    public void close() {
        calls.close();
    }

    private DnsAnswer lookup(String name, Type type) {
        try {
            switch (type) {
                case A:
                    return addresses(name, Inet4Address.class);
                case AAAA:
                    return addresses(name, Inet6Address.class);
                case TXT:
                    return DnsAnswer.found(new ArrayList<>(dnsService.findTXTRecords(name)), Duration.ZERO);
                case MX:
                    return mx(name);
                case PTR:
                    return ptr(name);
                default:
                    throw new IllegalArgumentException(String.valueOf(type));
            }
        } catch (UnknownHostException e) {
            return nxdomain();
        } catch (TemporaryResolutionException e) {
            return DnsAnswer.failed();
        } catch (RuntimeException e) {
            // InMemoryDNSService wraps UnknownHostException for names it does not know
            return e.getCause() instanceof UnknownHostException ? nxdomain() : DnsAnswer.failed();
        }
    }

    private DnsAnswer addresses(String name, Class<? extends InetAddress> family) throws UnknownHostException {
        List<String> found = dnsService.getAllByName(name).stream()
            .filter(family::isInstance)
            .map(IpAddresses::toText)
            .collect(Collectors.toList());
        return DnsAnswer.found(found, Duration.ZERO);
    }

    private DnsAnswer mx(String name) throws TemporaryResolutionException {
        Collection<String> exchanges = dnsService.findMXRecords(name);
        return DnsAnswer.found(exchanges.stream()
            .map(host -> host.length() > 1 && host.endsWith(".") ? host.substring(0, host.length() - 1) : host)
            .collect(Collectors.toList()), Duration.ZERO);
    }

    /** {@code name} is an in-addr.arpa/ip6.arpa name; DNSService wants the address itself. */
    private DnsAnswer ptr(String name) throws UnknownHostException {
        InetAddress address = IpAddresses.fromPtrName(name).orElseThrow(() -> new UnknownHostException(name));
        String host = dnsService.getHostName(address);
        if (host == null || IpAddresses.parse(host).isPresent()) {
            return nxdomain();
        }
        return DnsAnswer.found(List.of(host.endsWith(".") ? host.substring(0, host.length() - 1) : host), Duration.ZERO);
    }

    private static DnsAnswer nxdomain() {
        return DnsAnswer.of(DnsAnswer.Status.NXDOMAIN, Duration.ZERO);
    }

    @Override
    public Duration timeout() {
        return timeout;
    }
}
