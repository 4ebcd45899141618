package org.policyrouter.hooks.core;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * qmail/qpsmtpd client lists (relayclients, morerelayclients, norelayclients, dnsbl_allow): each
 * line is a full address, a prefix ending in '.' or ':' that matches a whole network
 * ({@code 192.168.42.}, {@code 2001:db8:e431:ae06:}), or, where allowed, a CIDR block.
 * Anything after the first word is a comment.
 */
public final class IpList {
    private final Set<String> exact = new HashSet<>();
    private final List<String> prefixes = new ArrayList<>();
    private final List<Cidr> networks = new ArrayList<>();

    private IpList() {
    }

    public static IpList empty() {
        return new IpList();
    }

    public static IpList parse(List<ControlLine> lines, boolean cidrAllowed) {
        IpList list = new IpList();
        for (ControlLine line : lines) {
            String entry = line.text().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
            if (Cidr.looksLikeCidr(entry)) {
                if (!cidrAllowed) {
                    throw new ControlFileException(line, "CIDR blocks are not allowed in this file");
                }
                list.networks.add(Cidr.parse(entry).orElseThrow(() -> new ControlFileException(line, "not a network/mask")));
            } else if (entry.endsWith(".") || entry.endsWith(":")) {
                list.prefixes.add(normalizePrefix(entry));
            } else {
                list.exact.add(IpAddresses.parse(entry).map(IpAddresses::expanded)
                    .orElseThrow(() -> new ControlFileException(line, "not an IP address, prefix or network")));
            }
        }
        return list;
    }

    /** IPv6 prefixes are compared group by group on the expanded form: {@code 2001:db8:} is {@code 2001:0db8:}. */
    private static String normalizePrefix(String prefix) {
        if (!prefix.contains(":")) {
            return prefix;
        }
        StringBuilder normalized = new StringBuilder();
        for (String group : prefix.substring(0, prefix.length() - 1).split(":", -1)) {
            normalized.append("0000".substring(Math.min(4, group.length()))).append(group).append(':');
        }
        return normalized.toString();
    }

    public boolean isEmpty() {
        return exact.isEmpty() && prefixes.isEmpty() && networks.isEmpty();
    }

    public boolean contains(InetAddress address) {
        String text = IpAddresses.expanded(address);
        if (exact.contains(text)) {
            return true;
        }
        String withSeparator = text + (address instanceof Inet6Address ? ":" : ".");
        for (String prefix : prefixes) {
            if (withSeparator.startsWith(prefix)) {
                return true;
            }
        }
        for (Cidr network : networks) {
            if (network.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
