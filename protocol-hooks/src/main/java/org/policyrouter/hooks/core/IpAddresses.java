package org.policyrouter.hooks.core;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** IP address literals: parsing without DNS, the text forms qpsmtpd compares, DNSBL query names. */
public final class IpAddresses {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    private IpAddresses() {
    }

    /** An IPv4 or IPv6 literal; never a DNS lookup. */
    public static Optional<InetAddress> parse(String text) {
        String candidate = text.trim();
        if (candidate.startsWith("[") && candidate.endsWith("]")) {
            candidate = candidate.substring(1, candidate.length() - 1);
        }
        if (candidate.regionMatches(true, 0, "IPv6:", 0, 5)) {
            candidate = candidate.substring(5);
        }
        if (!(IPV4.matcher(candidate).matches() || IPV6.matcher(candidate).matches())) {
            return Optional.empty();
        }
        if (IPV4.matcher(candidate).matches()) {
            for (String octet : candidate.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return Optional.empty();
                }
            }
        }
        try {
            return Optional.of(InetAddress.getByName(candidate));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    public static boolean isLiteral(String text) {
        return parse(text).isPresent();
    }

    /** Dotted quad, or IPv6 with zero groups compressed (RFC 5952), as a socket peer prints. */
    public static String toText(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        String[] groups = expanded(address).split(":");
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < groups.length; i++) {
            int length = 0;
            while (i + length < groups.length && groups[i + length].equals("0000")) {
                length++;
            }
            if (length > bestLength) {
                bestStart = i;
                bestLength = length;
            }
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < groups.length; i++) {
            if (i == bestStart) {
                text.append(i == 0 ? "::" : ":");
                i += bestLength - 1;
                continue;
            }
            text.append(Integer.toHexString(Integer.parseInt(groups[i], 16)));
            if (i < groups.length - 1) {
                text.append(':');
            }
        }
        return text.toString();
    }

    /** IPv6 as eight groups of four hex digits; IPv4 unchanged. */
    public static String expanded(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] bytes = address.getAddress();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                text.append(':');
            }
            text.append(String.format("%02x%02x", bytes[i], bytes[i + 1]));
        }
        return text.toString();
    }

    /** The name a DNSBL is asked: octets reversed for IPv4, nibbles reversed for IPv6 (RFC 5782). */
    public static String reversed(InetAddress address) {
        byte[] bytes = address.getAddress();
        StringBuilder name = new StringBuilder();
        if (address instanceof Inet4Address) {
            for (int i = 3; i >= 0; i--) {
                name.append(bytes[i] & 0xff).append(i > 0 ? "." : "");
            }
            return name.toString();
        }
        for (int i = 15; i >= 0; i--) {
            name.append(Character.forDigit(bytes[i] & 0x0f, 16)).append('.')
                .append(Character.forDigit((bytes[i] >> 4) & 0x0f, 16)).append(i > 0 ? "." : "");
        }
        return name.toString();
    }

    /** The PTR name of an address: {@code 4.3.2.1.in-addr.arpa} or its ip6.arpa form. */
    public static String ptrName(InetAddress address) {
        return reversed(address) + (address instanceof Inet4Address ? ".in-addr.arpa" : ".ip6.arpa");
    }

    /** The address an in-addr.arpa or ip6.arpa name stands for. */
    public static Optional<InetAddress> fromPtrName(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        lower = lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
        if (lower.endsWith(".in-addr.arpa")) {
            String[] octets = lower.substring(0, lower.length() - ".in-addr.arpa".length()).split("\\.");
            if (octets.length != 4) {
                return Optional.empty();
            }
            return parse(octets[3] + "." + octets[2] + "." + octets[1] + "." + octets[0]);
        }
        if (lower.endsWith(".ip6.arpa")) {
            String[] nibbles = lower.substring(0, lower.length() - ".ip6.arpa".length()).split("\\.");
            if (nibbles.length != 32) {
                return Optional.empty();
            }
            StringBuilder text = new StringBuilder();
            for (int i = 31; i >= 0; i--) {
                text.append(nibbles[i]);
                if (i % 4 == 0 && i > 0) {
                    text.append(':');
                }
            }
            return parse(text.toString());
        }
        return Optional.empty();
    }
}
