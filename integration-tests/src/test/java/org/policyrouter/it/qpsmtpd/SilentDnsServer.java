package org.policyrouter.it.qpsmtpd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;

/** A DNS server that receives every query and never answers: the worst case for a timeout. */
final class SilentDnsServer implements AutoCloseable {
    private final DatagramSocket socket;

    private SilentDnsServer(DatagramSocket socket) {
        this.socket = socket;
    }

    static SilentDnsServer start() {
        try {
            return new SilentDnsServer(new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String server() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    @Override
    public void close() {
        socket.close();
    }
}
