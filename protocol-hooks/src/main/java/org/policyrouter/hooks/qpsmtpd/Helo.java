package org.policyrouter.hooks.qpsmtpd;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.ControlLine;
import org.policyrouter.hooks.core.Dns;
import org.policyrouter.hooks.core.DnsAnswer;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.IpAddresses;
import org.policyrouter.hooks.core.Lookups;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Rejection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * qpsmtpd's {@code helo}: validates the HELO/EHLO name by policy.
 * <ul>
 * <li>{@code lenient} (default): badhelo list, "localhost" only from 127.0.0.1 (and ::1), address
 * literals must be the client's own address, no plain IP, and (our addition) no claiming our own
 * name ({@code me}) or our own address;</li>
 * <li>{@code rfc}: also a dotted name of RFC 1035 characters, that resolves, and a client
 * with reverse DNS;</li>
 * <li>{@code strict}: also no address literals, and forward or reverse DNS must match the
 * client (same address or /24; same name or last two labels).</li>
 * </ul>
 * {@code badhelo} lines are a host name, or a regular expression when they contain one of
 * <code>{}[]()^$|*+?\!</code>; a leading '!' negates. qpsmtpd 0.94 stops at the first regex line;
 * we try every line. Rejections default to {@code reject_type disconnect}
 * (550 and close), which qpsmtpd 0.94 forces whatever is configured; we honour the option.
 * The client's reverse DNS is looked up at connect, so HELO only waits for what is left.
 */
public class Helo extends QpsmtpdHandler {
    private static final String REGEX_MARKERS = "{}[]()^$|*+?\\!";
    private static final String REVERSE_DNS = "helo.reverse_dns";
    static final String FORWARD_MATCH = "helo_forward_match";
    static final String REVERSE_MATCH = "helo_reverse_match";

    private enum Policy { LENIENT, RFC, STRICT }

    private Policy policy;
    private Rejection rejection;
    private ControlFile<List<BadHelo>> badHelo;
    private ControlFile<List<ControlLine>> me;
    private CheckEnvironment environment;

    @Override
    public String pluginName() {
        return "helo";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        this.environment = environment;
        String name = environment.options().string("policy", "lenient");
        try {
            policy = Policy.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw environment.options().invalid("policy", name, "lenient, rfc or strict");
        }
        rejection = Rejection.from(pluginName(), environment.options(), ReturnCode.DENY_DISCONNECT);
        badHelo = environment.controlFiles().parsed("badhelo", Helo::parseBadHelo);
        me = environment.controlFiles().lines("me");
    }

    @Override
    public Verdict connect(Connection connection) {
        if (policy != Policy.LENIENT) {
            Dns dns = environment.dns();
            Lookups.start(connection.connectionNotes(), REVERSE_DNS,
                dns.query(IpAddresses.ptrName(connection.remoteAddress()), Dns.Type.PTR), dns.timeout());
        }
        return Verdict.DECLINED;
    }

    @Override
    public Verdict helo(Connection connection, String host) {
        if (host == null || host.isBlank() || Immunity.isImmune(connection)) {
            return Verdict.DECLINED;
        }
        Optional<String[]> failure = firstFailure(connection, host.trim());
        return failure.map(f -> rejection.reject(connection, f[0], "7.1", f[1])).orElse(Verdict.DECLINED);
    }

    /** The first failed test as {message, log reason}; the tests run in qpsmtpd's order. */
    private Optional<String[]> firstFailure(Connection connection, String host) {
        List<java.util.function.Supplier<Optional<String[]>>> tests = new ArrayList<>();
        tests.add(() -> inBadHelo(host));
        tests.add(() -> invalidLocalhost(connection, host));
        tests.add(() -> forgedLiteral(connection, host));
        tests.add(() -> plainIp(host));
        tests.add(() -> forgedOwnName(connection, host));
        if (policy != Policy.LENIENT) {
            tests.add(() -> notFqdn(host));
            tests.add(() -> noForwardDns(connection, host));
            tests.add(() -> noReverseDns(connection, host));
        }
        if (policy == Policy.STRICT) {
            tests.add(() -> addressLiteral(host));
            tests.add(() -> noMatchingDns(connection));
        }
        for (java.util.function.Supplier<Optional<String[]>> test : tests) {
            Optional<String[]> failure = test.get();
            if (failure.isPresent()) {
                return failure;
            }
        }
        return Optional.empty();
    }

    private static Optional<String[]> fail(String message, String reason) {
        return Optional.of(new String[] {message, reason});
    }

    private Optional<String[]> inBadHelo(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        for (BadHelo bad : badHelo.get()) {
            if (bad.matches(lower)) {
                return bad.regex == null
                    ? fail("I do not believe you are " + host + ".", "in badhelo")
                    : fail("Your HELO hostname is not allowed", "badhelo pattern match (" + bad.text + ")");
            }
        }
        return Optional.empty();
    }

    private static Optional<String[]> invalidLocalhost(Connection connection, String host) {
        String client = connection.remoteIp();
        if (host.equalsIgnoreCase("localhost") && !(client.equals("127.0.0.1") || client.equals("::1"))) {
            return fail("You are not localhost", "invalid localhost");
        }
        return Optional.empty();
    }

    private static boolean isAddressLiteral(String host) {
        return host.startsWith("[") && host.endsWith("]");
    }

    private static Optional<String[]> forgedLiteral(Connection connection, String host) {
        if (!isAddressLiteral(host)) {
            return Optional.empty();
        }
        Optional<InetAddress> literal = IpAddresses.parse(host);
        if (literal.isPresent() && literal.get().equals(connection.remoteAddress())) {
            return Optional.empty();
        }
        return fail("Forged IPs not accepted here", "forged IP literal");
    }

    private static Optional<String[]> plainIp(String host) {
        if (!isAddressLiteral(host) && IpAddresses.parse(host).isPresent()) {
            return fail("Plain IP is invalid HELO hostname (RFC 2821)", "plain IP");
        }
        return Optional.empty();
    }

    /** A stranger claiming to be us: our own name (control file "me") or our own address. */
    private Optional<String[]> forgedOwnName(Connection connection, String host) {
        boolean ourName = me.get().stream().anyMatch(line -> line.text().equalsIgnoreCase(host));
        boolean ourAddress = !isAddressLiteral(host) ? false
            : IpAddresses.parse(host).map(a -> a.equals(connection.localAddress()) && !a.equals(connection.remoteAddress())).orElse(false);
        if (ourName || ourAddress) {
            return fail("I do not believe you are " + host + ".", "forged own name");
        }
        return Optional.empty();
    }

    private static Optional<String[]> notFqdn(String host) {
        if (isAddressLiteral(host)) {
            return Optional.empty();
        }
        if (!host.contains(".")) {
            return fail("HELO name is not fully qualified. Read RFC 2821", "not FQDN");
        }
        if (!host.matches("[a-zA-Z0-9.-]+")) {
            return fail("HELO name contains invalid FQDN characters. Read RFC 1035", "invalid FQDN chars");
        }
        return Optional.empty();
    }

    private Optional<String[]> noForwardDns(Connection connection, String host) {
        if (isAddressLiteral(host)) {
            return Optional.empty();
        }
        Dns dns = environment.dns();
        DnsAnswer v4 = Lookups.await(dns.query(host, Dns.Type.A), dns.timeout());
        DnsAnswer v6 = Lookups.await(dns.query(host, Dns.Type.AAAA), dns.timeout());
        if (v4.status() == DnsAnswer.Status.NXDOMAIN) {
            return fail("HELO hostname does not exist", "no such host");
        }
        if (v4.isTemporaryFailure() && !v6.isFound()) {
            return Optional.empty();
        }
        List<String> addresses = new ArrayList<>(v4.records());
        addresses.addAll(v6.records());
        if (addresses.isEmpty()) {
            return fail("HELO hostname did not resolve", "no forward DNS");
        }
        for (String address : addresses) {
            if (sameHostOrNetwork(address, connection.remoteAddress())) {
                connection.connectionNotes().put(FORWARD_MATCH, 1);
            }
        }
        return Optional.empty();
    }

    private static boolean sameHostOrNetwork(String address, InetAddress client) {
        Optional<InetAddress> parsed = IpAddresses.parse(address);
        if (parsed.isEmpty()) {
            return false;
        }
        if (parsed.get().equals(client)) {
            return true;
        }
        if (!(client instanceof Inet4Address) || !(parsed.get() instanceof Inet4Address)) {
            return false;
        }
        byte[] a = parsed.get().getAddress();
        byte[] b = client.getAddress();
        return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
    }

    private Optional<String[]> noReverseDns(Connection connection, String host) {
        DnsAnswer reverse = Lookups.await(connection.connectionNotes(), REVERSE_DNS);
        String ip = connection.remoteIp();
        if (reverse.status() == DnsAnswer.Status.NXDOMAIN || reverse.status() == DnsAnswer.Status.NODATA) {
            return fail("no rDNS for " + ip, "no rDNS");
        }
        if (!reverse.isFound()) {
            return fail("error getting reverse DNS for " + ip, "rDNS " + reverse.status());
        }
        String helo = host.toLowerCase(Locale.ROOT);
        for (String name : reverse.records()) {
            if (sameNameOrDomain(name.toLowerCase(Locale.ROOT), helo)) {
                connection.connectionNotes().put(REVERSE_MATCH, 1);
            }
        }
        return Optional.empty();
    }

    private static boolean sameNameOrDomain(String dnsName, String helo) {
        String[] dnsLabels = dnsName.split("\\.");
        String[] heloLabels = helo.split("\\.");
        if (dnsLabels.length < 2) {
            return false;
        }
        if (dnsName.equals(helo)) {
            return true;
        }
        return heloLabels.length >= 2
            && dnsLabels[dnsLabels.length - 1].equals(heloLabels[heloLabels.length - 1])
            && dnsLabels[dnsLabels.length - 2].equals(heloLabels[heloLabels.length - 2]);
    }

    private static Optional<String[]> addressLiteral(String host) {
        if (isAddressLiteral(host)) {
            return fail("RFC 2821 allows an address literal, but we do not", "bracketed IP");
        }
        return Optional.empty();
    }

    private static Optional<String[]> noMatchingDns(Connection connection) {
        if (connection.connectionNotes().isTrue(FORWARD_MATCH) || connection.connectionNotes().isTrue(REVERSE_MATCH)) {
            return Optional.empty();
        }
        return fail("That HELO hostname fails FCrDNS", "no matching DNS");
    }

    private static List<BadHelo> parseBadHelo(List<ControlLine> lines) {
        List<BadHelo> entries = new ArrayList<>();
        for (ControlLine line : lines) {
            String text = line.text().split("\\s+", 2)[0];
            if (text.chars().noneMatch(c -> REGEX_MARKERS.indexOf(c) >= 0)) {
                entries.add(new BadHelo(text.toLowerCase(Locale.ROOT), null, false));
                continue;
            }
            boolean negated = text.startsWith("!");
            String expression = negated ? text.substring(1) : text;
            try {
                entries.add(new BadHelo(text, Pattern.compile(expression, Pattern.CASE_INSENSITIVE), negated));
            } catch (PatternSyntaxException e) {
                throw new org.policyrouter.hooks.core.ControlFileException(line, "not a regular expression RE2J accepts: " + e.getDescription());
            }
        }
        return List.copyOf(entries);
    }

    private static final class BadHelo {
        private final String text;
        private final Pattern regex;
        private final boolean negated;

        BadHelo(String text, Pattern regex, boolean negated) {
            this.text = text;
            this.regex = regex;
            this.negated = negated;
        }

        boolean matches(String lowerHost) {
            if (regex == null) {
                return text.equals(lowerHost);
            }
            return regex.matcher(lowerHost).find() != negated;
        }
    }
}
