package org.policyrouter.hooks.core;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;

/**
 * Asks the DNS servers we are given directly, on any port: James's DNSService always uses port
 * 53, which a test cannot bind without privileges and an operator may want to point elsewhere.
 * dnsjava builds and parses the messages, {@link UdpDnsClient} carries them without blocking.
 * Every query completes within the timeout, as TIMEOUT if the servers stay silent.
 */
public final class DnsJavaResolver implements Dns {
    private static final Duration NEGATIVE_TTL_WITHOUT_SOA = Duration.ofMinutes(5);

    private final UdpDnsClient client;
    private final Duration timeout;

    public DnsJavaResolver(List<InetSocketAddress> servers, Duration timeout) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS server given");
        }
        this.client = new UdpDnsClient(servers, timeout);
        this.timeout = timeout;
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
        Record question;
        try {
            question = Record.newRecord(Name.fromString(name.endsWith(".") ? name : name + "."), typeCode(type), DClass.IN);
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(DnsAnswer.of(DnsAnswer.Status.NXDOMAIN, Duration.ZERO));
        }
        return client.send(Message.newQuery(question))
            .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .thenApply(response -> answer(response, type))
            .exceptionally(error -> isTimeout(error) ? DnsAnswer.timeout() : DnsAnswer.failed());
    }

    private static boolean isTimeout(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof java.util.concurrent.TimeoutException || t instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static DnsAnswer answer(Message response, Type type) {
        int rcode = response.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return DnsAnswer.of(DnsAnswer.Status.NXDOMAIN, negativeTtl(response));
        }
        if (rcode != Rcode.NOERROR) {
            return DnsAnswer.failed();
        }
        List<Record> matching = response.getSection(Section.ANSWER).stream()
            .filter(r -> r.getType() == typeCode(type))
            .collect(Collectors.toList());
        if (matching.isEmpty()) {
            return DnsAnswer.of(DnsAnswer.Status.NODATA, negativeTtl(response));
        }
        long ttl = matching.stream().mapToLong(Record::getTTL).min().orElse(0);
        if (type == Type.MX) {
            matching.sort(Comparator.comparingInt(r -> ((MXRecord) r).getPriority()));
        }
        List<String> values = new ArrayList<>();
        for (Record record : matching) {
            values.add(text(record));
        }
        return DnsAnswer.found(values, Duration.ofSeconds(ttl));
    }

    private static String text(Record record) {
        if (record instanceof ARecord) {
            return ((ARecord) record).getAddress().getHostAddress();
        }
        if (record instanceof AAAARecord) {
            return IpAddresses.toText(((AAAARecord) record).getAddress());
        }
        if (record instanceof TXTRecord) {
            return String.join("", ((TXTRecord) record).getStrings());
        }
        if (record instanceof MXRecord) {
            return withoutFinalDot(((MXRecord) record).getTarget());
        }
        if (record instanceof PTRRecord) {
            return withoutFinalDot(((PTRRecord) record).getTarget());
        }
        return record.rdataToString();
    }

    /** The root name "." stays "." (a null MX, RFC 7505); other names lose their final dot. */
    private static String withoutFinalDot(Name name) {
        String text = name.toString();
        return text.length() > 1 && text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
    }

    /** RFC 2308: negative answers live for the SOA's minimum (bounded by the SOA's own TTL). */
    private static Duration negativeTtl(Message response) {
        return response.getSection(Section.AUTHORITY).stream()
            .filter(r -> r instanceof SOARecord)
            .map(r -> Duration.ofSeconds(Math.min(r.getTTL(), ((SOARecord) r).getMinimum())))
            .findFirst()
            .orElse(NEGATIVE_TTL_WITHOUT_SOA);
    }

    private static int typeCode(Type type) {
        switch (type) {
            case A:
                return org.xbill.DNS.Type.A;
            case AAAA:
                return org.xbill.DNS.Type.AAAA;
            case TXT:
                return org.xbill.DNS.Type.TXT;
            case MX:
                return org.xbill.DNS.Type.MX;
            case PTR:
                return org.xbill.DNS.Type.PTR;
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
        client.close();
    }
}
