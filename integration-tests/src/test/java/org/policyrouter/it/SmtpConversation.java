package org.policyrouter.it;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A raw SMTP client for tests that read like transcripts: every call returns the server's whole
 * reply (all lines of a multi-line reply), so tests assert exact codes and texts.
 */
public final class SmtpConversation implements Closeable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private SmtpConversation(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects without reading the greeting (for early-talker and greeting tests). */
    public static SmtpConversation open(int port, Duration readTimeout) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout((int) readTimeout.toMillis());
        return new SmtpConversation(socket);
    }

    /**
     * Connects from another loopback address (any 127.x.y.z works on Linux), so a test can be a
     * client that James's authorizedAddresses (127.0.0.1) does not cover. Does not read the greeting.
     */
    public static SmtpConversation openFrom(String localAddress, int port, Duration readTimeout) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(localAddress, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout((int) readTimeout.toMillis());
        return new SmtpConversation(socket);
    }

    /** Connects and reads the greeting: {@code conversation.greeting()} gives it. */
    public static SmtpConversation connect(int port) throws IOException {
        return open(port, Duration.ofSeconds(30));
    }

    /** Reads one reply (the greeting right after connect). */
    public String readReply() throws IOException {
        StringBuilder reply = new StringBuilder();
        while (true) {
            String line = readLine();
            if (line == null) {
                return reply.length() == 0 ? null : reply.toString();
            }
            reply.append(reply.length() == 0 ? "" : "\n").append(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return reply.toString();
            }
        }
    }

    /** Sends one command line and returns the reply, or null when the server closed the connection. */
    public String command(String line) throws IOException {
        write(line + "\r\n");
        return readReply();
    }

    /** Sends DATA, the message (dot-stuffed here), the final dot; returns the reply to the dot. */
    public String data(String message) throws IOException {
        String dataReply = command("DATA");
        if (dataReply == null || !dataReply.startsWith("354")) {
            return dataReply;
        }
        StringBuilder body = new StringBuilder();
        String text = message.replace("\r\n", "\n");
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        for (String line : text.split("\n", -1)) {
            body.append(line.startsWith(".") ? "." : "").append(line).append("\r\n");
        }
        write(body + ".\r\n");
        return readReply();
    }

    /** The connection's output, for a message streamed without being held whole. */
    public OutputStream output() {
        return out;
    }

    public void write(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** True when the server has closed the connection (reads EOF within the read timeout). */
    public boolean isClosedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                break;
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        if (b < 0 && line.size() == 0) {
            return null;
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
