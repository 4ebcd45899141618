package org.policyrouter.hooks.core;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsPtrRecord;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Asks the DNS servers we are given directly, on any port (James's DNSService always uses port
 * 53, which a test cannot bind without privileges and an operator may want to point elsewhere),
 * with Netty's own resolver (netty-resolver-dns, which James ships): non-blocking, one UDP
 * socket, random query IDs, on one event loop thread of its own ({@code policyrouter-dns-udp},
 * ended by {@link #close()}). Each server is asked in turn with its share of the timeout, so
 * every query completes within the timeout, as TIMEOUT if the servers stay silent. Netty's
 * caches are off: {@link CachingDns} keeps answers for their TTL.
 */
public final class NettyDnsResolver implements Dns {
    private static final Duration NEGATIVE_TTL_WITHOUT_SOA = Duration.ofMinutes(5);

    private final List<InetSocketAddress> servers;
    private final Duration timeout;
    private final EventLoopGroup loop = new NioEventLoopGroup(1, new DefaultThreadFactory("policyrouter-dns-udp", true));
    private final DnsNameResolver resolver;

    public NettyDnsResolver(List<InetSocketAddress> servers, Duration timeout) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS server given");
        }
        this.servers = List.copyOf(servers);
        this.timeout = timeout;
        this.resolver = new DnsNameResolverBuilder(loop.next())
            .channelType(NioDatagramChannel.class)
            .nameServerProvider(new SequentialDnsServerAddressStreamProvider(servers))
            .queryTimeoutMillis(Math.max(1, timeout.toMillis() / servers.size()))
            .resolveCache(NoopDnsCache.INSTANCE)
            .cnameCache(NoopDnsCnameCache.INSTANCE)
            .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
            .recursionDesired(true)
            .build();
    }

    /** {@code host} or {@code host:port}; IPv6 as {@code [addr]:port}; port 53 by default. */
    public static InetSocketAddress parseServer(String text) {
        String host = text.trim();
        int port = 53;
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("bad DNS server " + text);
            }
            if (host.length() > end + 1 && host.charAt(end + 1) == ':') {
                port = Integer.parseInt(host.substring(end + 2));
            }
            host = host.substring(1, end);
        } else if (host.indexOf(':') > 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            port = Integer.parseInt(host.substring(host.indexOf(':') + 1));
            host = host.substring(0, host.indexOf(':'));
        }
        return new InetSocketAddress(IpAddresses.parse(host)
            .orElseThrow(() -> new IllegalArgumentException("DNS server must be an IP address: " + text)), port);
    }

    @Override
    public CompletableFuture<DnsAnswer> query(String name, Type type) {
        CompletableFuture<DnsAnswer> answer = new CompletableFuture<>();
        DefaultDnsQuestion question;
        try {
            question = new DefaultDnsQuestion(name.endsWith(".") ? name : name + ".", recordType(type));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(DnsAnswer.of(DnsAnswer.Status.NXDOMAIN, Duration.ZERO));
        }
        ask(question, type, 0, false, answer);
        // Netty times each server out itself; this is the bound the callers were promised
        return answer.completeOnTimeout(DnsAnswer.timeout(), timeout.toMillis() + 100, TimeUnit.MILLISECONDS);
    }

    private void ask(DefaultDnsQuestion question, Type type, int serverIndex, boolean timedOut, CompletableFuture<DnsAnswer> answer) {
        if (serverIndex >= servers.size()) {
            answer.complete(timedOut ? DnsAnswer.timeout() : DnsAnswer.failed());
            return;
        }
        resolver.query(servers.get(serverIndex), question).addListener(done -> {
            if (done.isSuccess()) {
                @SuppressWarnings("unchecked")
                AddressedEnvelope<DnsResponse, InetSocketAddress> envelope = (AddressedEnvelope<DnsResponse, InetSocketAddress>) done.getNow();
                try {
                    answer.complete(answer(envelope.content(), type));
                } catch (RuntimeException e) {
                    answer.complete(DnsAnswer.failed());
                } finally {
                    ReferenceCountUtil.release(envelope);
                }
            } else {
                ask(question, type, serverIndex + 1, timedOut || done.cause() instanceof DnsNameResolverTimeoutException, answer);
            }
        });
    }

    private static DnsAnswer answer(DnsResponse response, Type type) {
        if (response.code() == DnsResponseCode.NXDOMAIN) {
            return DnsAnswer.of(DnsAnswer.Status.NXDOMAIN, negativeTtl(response));
        }
        if (response.code() != DnsResponseCode.NOERROR) {
            return DnsAnswer.failed();
        }
        List<DnsRecord> matching = new ArrayList<>();
        for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
            DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
            if (record.type().equals(recordType(type))) {
                matching.add(record);
            }
        }
        if (matching.isEmpty()) {
            return DnsAnswer.of(DnsAnswer.Status.NODATA, negativeTtl(response));
        }
        long ttl = matching.stream().mapToLong(DnsRecord::timeToLive).min().orElse(0);
        if (type == Type.MX) {
            matching.sort(Comparator.comparingInt(NettyDnsResolver::preference));
        }
        List<String> values = new ArrayList<>();
        for (DnsRecord record : matching) {
            values.add(text(record, type));
        }
        return DnsAnswer.found(values, Duration.ofSeconds(ttl));
    }

    private static int preference(DnsRecord mx) {
        ByteBuf data = content(mx);
        return data.getUnsignedShort(data.readerIndex());
    }

    private static ByteBuf content(DnsRecord record) {
        return ((DnsRawRecord) record).content();
    }

    private static String text(DnsRecord record, Type type) {
        switch (type) {
            case A:
            case AAAA:
                return address(content(record));
            case TXT:
                return txt(content(record));
            case MX:
                ByteBuf data = content(record).duplicate();
                data.skipBytes(2);
                return withoutFinalDot(DefaultDnsRecordDecoder.decodeName(data));
            case PTR:
                return withoutFinalDot(((DnsPtrRecord) record).hostname());
            default:
                throw new IllegalArgumentException(String.valueOf(type));
        }
    }

    private static String address(ByteBuf data) {
        byte[] bytes = new byte[data.readableBytes()];
        data.getBytes(data.readerIndex(), bytes);
        try {
            return IpAddresses.toText(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address record", e);
        }
    }

    /** The character strings joined, as dnsjava's TXTRecord gives them (printable ASCII, others as \DDD). */
    private static String txt(ByteBuf data) {
        StringBuilder text = new StringBuilder();
        int index = data.readerIndex();
        int end = data.writerIndex();
        while (index < end) {
            int length = data.getUnsignedByte(index++);
            for (int i = 0; i < length && index < end; i++) {
                int b = data.getUnsignedByte(index++);
                if (b < 0x20 || b >= 0x7f) {
                    text.append('\\').append(String.format("%03d", b));
                } else if (b == '"' || b == '\\') {
                    text.append('\\').append((char) b);
                } else {
                    text.append((char) b);
                }
            }
        }
        return text.toString();
    }

    /** The root name "." stays "." (a null MX, RFC 7505); other names lose their final dot. */
    private static String withoutFinalDot(String name) {
        return name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    /** RFC 2308: negative answers live for the SOA's minimum (bounded by the SOA's own TTL). */
    private static Duration negativeTtl(DnsResponse response) {
        for (int i = 0; i < response.count(DnsSection.AUTHORITY); i++) {
            DnsRecord record = response.recordAt(DnsSection.AUTHORITY, i);
            if (record.type().equals(DnsRecordType.SOA) && record instanceof DnsRawRecord) {
                ByteBuf data = content(record).duplicate();
                DefaultDnsRecordDecoder.decodeName(data);
                DefaultDnsRecordDecoder.decodeName(data);
                data.skipBytes(16);
                long minimum = data.readUnsignedInt();
                return Duration.ofSeconds(Math.min(record.timeToLive(), minimum));
            }
        }
        return NEGATIVE_TTL_WITHOUT_SOA;
    }

    private static DnsRecordType recordType(Type type) {
        switch (type) {
            case A:
                return DnsRecordType.A;
            case AAAA:
                return DnsRecordType.AAAA;
            case TXT:
                return DnsRecordType.TXT;
            case MX:
                return DnsRecordType.MX;
            case PTR:
                return DnsRecordType.PTR;
            default:
                throw new IllegalArgumentException(String.valueOf(type));
        }
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    @Override
    public void close() {
        resolver.close();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
