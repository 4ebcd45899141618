package org.policyrouter.hooks.core;

import java.net.InetAddress;
import java.util.Optional;

/**
 * A network in CIDR notation. Both ends are inside: qpsmtpd 0.94's relay plugin compares with
 * strict "gt"/"lt" and so leaves out the first and last address of every range; we do not.
 */
public final class Cidr {
    private final byte[] network;
    private final int prefixLength;
    private final String text;

    private Cidr(byte[] network, int prefixLength, String text) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /** {@code 10.1.0.0/24}, {@code 2001:db8::/32}; a plain address is a /32 or /128. */
    public static Optional<Cidr> parse(String text) {
        String[] parts = text.trim().split("/", 2);
        Optional<InetAddress> address = IpAddresses.parse(parts[0]);
        if (address.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes = address.get().getAddress();
        int maxLength = bytes.length * 8;
        int length = maxLength;
        if (parts.length == 2) {
            try {
                length = Integer.parseInt(parts[1].trim());
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            if (length < 0 || length > maxLength) {
                return Optional.empty();
            }
        }
        return Optional.of(new Cidr(bytes, length, text.trim()));
    }

    /**
     * {@link #parse}, for configuration: {@code spp <client network="…">}.
     *
     * @throws IllegalArgumentException naming the text when it is not an IP address or CIDR block
     */
    public static Cidr parseStrictly(String text) {
        return parse(text).orElseThrow(() -> new IllegalArgumentException("not an IP address or CIDR block: " + text));
    }

    public int prefixLength() {
        return prefixLength;
    }

    public static boolean looksLikeCidr(String text) {
        return text.contains("/");
    }

    public boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        int fullBytes = prefixLength / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int remainingBits = prefixLength % 8;
        if (remainingBits == 0) {
            return true;
        }
        int mask = (0xff << (8 - remainingBits)) & 0xff;
        return (candidate[fullBytes] & mask) == (network[fullBytes] & mask);
    }

    @Override
    public String toString() {
        return text;
    }
}
