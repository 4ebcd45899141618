package org.policyrouter.it.spool;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A next hop for large messages: keeps no message, only its size and the SHA-256 of its bytes
 * after the {@code Received:} header James puts first (dot-stuffing undone), so that gigabytes can
 * pass through a test.
 */
final class HashingSmtpSink implements AutoCloseable {
    /** One message as the sink received it. */
    static final class Received {
        final long size;
        final String sha256;

        Received(long size, String sha256) {
            this.size = size;
            this.sha256 = sha256;
        }
    }

    private final ServerSocket server;
    private final List<Received> received = new CopyOnWriteArrayList<>();

    private HashingSmtpSink() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "hashing-sink");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static HashingSmtpSink start() {
        try {
            return new HashingSmtpSink();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String hostAndPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread session = new Thread(() -> converse(socket), "hashing-sink-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void converse(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            OutputStream out = socket.getOutputStream();
            reply(out, "220 hashing sink");
            byte[] line;
            while ((line = readLine(in)) != null) {
                String command = new String(line, StandardCharsets.ISO_8859_1).trim().toUpperCase();
                if (command.startsWith("EHLO")) {
                    reply(out, "250-hashing sink\r\n250-SIZE 1000000000\r\n250 8BITMIME");
                } else if (command.equals("DATA")) {
                    reply(out, "354 go ahead");
                    received.add(readData(in));
                    reply(out, "250 2.0.0 hashed");
                } else if (command.equals("QUIT")) {
                    reply(out, "221 bye");
                    return;
                } else {
                    reply(out, "250 OK");
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static Received readData(InputStream in) throws IOException {
        MessageDigest digest = sha256();
        long size = 0;
        boolean inReceived = false;
        boolean firstLine = true;
        byte[] line;
        while ((line = readLine(in)) != null) {
            if (line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n') {
                break;
            }
            int skip = line.length > 1 && line[0] == '.' ? 1 : 0;
            boolean continuation = line.length > 0 && (line[0] == ' ' || line[0] == '\t');
            if (firstLine) {
                inReceived = new String(line, 0, Math.min(line.length, 9), StandardCharsets.ISO_8859_1).equalsIgnoreCase("Received:");
                firstLine = false;
            } else if (inReceived && !continuation) {
                inReceived = false;
            }
            if (!inReceived) {
                digest.update(line, skip, line.length - skip);
                size += line.length - skip;
            }
        }
        return new Received(size, hex(digest.digest()));
    }

    /** A raw line up to and including LF; lines longer than 64 KiB come in pieces (fine for hashing). */
    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0) {
            line.write(b);
            if (b == '\n' || line.size() >= 1 << 16) {
                return line.toByteArray();
            }
        }
        return line.size() == 0 ? null : line.toByteArray();
    }

    static String hex(byte[] bytes) {
        StringBuilder hex = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return hex.toString();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
