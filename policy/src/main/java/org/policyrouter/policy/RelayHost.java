package org.policyrouter.policy;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/** One SMTP next hop: a host name or IP literal and a port. */
public final class RelayHost {
    public static final int SMTP_PORT = 25;

    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    private final String host;
    private final int port;

    public RelayHost(String host, int port) {
        this.host = Objects.requireNonNull(host);
        this.port = port;
    }

    /**
     * Parses {@code host}, {@code host:port}, {@code [ipv6]} or {@code [ipv6]:port}. A host name
     * without a dot is taken to live under {@code ownDomain} (the router spec's "$me" rule) when
     * one is given; {@code localhost} stays itself.
     *
     * @throws IllegalArgumentException with a message fit for a {@code file:line:} error
     */
    public static RelayHost parse(String text, Optional<String> ownDomain) {
        return parse(text, ownDomain, SMTP_PORT);
    }

    /** As {@link #parse(String, Optional)}, with another port where none is written (QMQP's 628). */
    public static RelayHost parse(String text, Optional<String> ownDomain, int defaultPort) {
        String spec = text.trim();
        if (spec.isEmpty()) {
            throw new IllegalArgumentException("empty relay host");
        }
        if (spec.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("white space in relay host '" + spec + "': separate hosts with commas");
        }
        String host;
        String portText = null;
        if (spec.startsWith("[")) {
            int close = spec.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unbalanced brackets in relay host '" + spec + "'");
            }
            host = spec.substring(1, close);
            String rest = spec.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("unexpected '" + rest + "' after ']' in relay host '" + spec + "'");
                }
                portText = rest.substring(1);
            }
            if (host.indexOf(':') < 0 || !IPV6_LITERAL.matcher(host).matches()) {
                throw new IllegalArgumentException("'" + host + "' in brackets is not an IPv6 address");
            }
        } else {
            if (spec.indexOf(']') >= 0) {
                throw new IllegalArgumentException("unbalanced brackets in relay host '" + spec + "'");
            }
            int colon = spec.indexOf(':');
            if (colon >= 0 && spec.indexOf(':', colon + 1) >= 0) {
                throw new IllegalArgumentException("IPv6 relay host '" + spec + "' must be written in brackets");
            }
            host = colon < 0 ? spec : spec.substring(0, colon);
            portText = colon < 0 ? null : spec.substring(colon + 1);
            if (!HOST_NAME.matcher(host).matches()) {
                throw new IllegalArgumentException("invalid relay host name '" + host + "'");
            }
            // localhost is the loopback everywhere (RFC 6761), never a host under our own domain
            if (host.indexOf('.') < 0 && ownDomain.isPresent() && !host.equalsIgnoreCase("localhost")) {
                host = host + "." + ownDomain.get();
            }
        }
        return new RelayHost(host.toLowerCase(Locale.ROOT), portText == null ? defaultPort : parsePort(portText, spec));
    }

    private static int parsePort(String portText, String spec) {
        if (!PORT.matcher(portText).matches()) {
            throw new IllegalArgumentException("bad port '" + portText + "' in relay host '" + spec + "'");
        }
        int port = Integer.parseInt(portText);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range 1-65535 in relay host '" + spec + "'");
        }
        return port;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public boolean isIpv6Literal() {
        return host.indexOf(':') >= 0;
    }

    /** The notation it was parsed from, normalised: {@code host:port} or {@code [v6]:port}. */
    @Override
    public String toString() {
        return (isIpv6Literal() ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RelayHost && ((RelayHost) o).host.equals(host) && ((RelayHost) o).port == port;
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port);
    }
}
