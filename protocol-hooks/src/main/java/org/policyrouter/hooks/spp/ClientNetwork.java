package org.policyrouter.hooks.spp;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address block written as {@code 192.0.2.0/24}, {@code 2001:db8::/32} or a single address. */
public final class ClientNetwork {
    private final String text;
    private final byte[] network;
    private final int prefixLength;

    private ClientNetwork(String text, byte[] network, int prefixLength) {
        this.text = text;
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /** @throws IllegalArgumentException naming the block when it is not an IP address or CIDR block */
    public static ClientNetwork parse(String text) {
        String trimmed = text.strip();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        if (!address.matches("[0-9a-fA-F:.]+") || !(address.contains(".") || address.contains(":"))) {
            throw new IllegalArgumentException("not an IP address or CIDR block: " + text);
        }
        byte[] bytes;
        try {
            // only literals reach here, so no name is ever looked up
            bytes = InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address or CIDR block: " + text);
        }
        int length = bytes.length * 8;
        if (slash >= 0) {
            try {
                length = Integer.parseInt(trimmed.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in " + text);
            }
            if (length < 0 || length > bytes.length * 8) {
                throw new IllegalArgumentException("bad prefix length in " + text);
            }
        }
        return new ClientNetwork(trimmed, bytes, length);
    }

    public boolean contains(InetAddress client) {
        byte[] candidate = client.getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest) & 0xff;
        return (candidate[full] & mask) == (network[full] & mask);
    }

    public int prefixLength() {
        return prefixLength;
    }

    @Override
    public String toString() {
        return text;
    }
}
