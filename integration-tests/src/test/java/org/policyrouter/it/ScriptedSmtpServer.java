package org.policyrouter.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.policyrouter.mailets.TestCertificates;

/**
 * A next hop whose answers the test chooses: a fixed reply per RCPT address, or a server that
 * accepts connections and then never says a word. Records what it was sent.
 */
public final class ScriptedSmtpServer implements AutoCloseable {
    private final ServerSocket socket;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "scripted-smtp");
        thread.setDaemon(true);
        return thread;
    });
    private final Function<String, String> rcptReply;
    private final boolean silent;
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final List<String> connections = new CopyOnWriteArrayList<>();
    private final List<byte[]> messages = new CopyOnWriteArrayList<>();
    private final List<List<String>> transactions = new CopyOnWriteArrayList<>();
    private final List<String> tlsSessions = new CopyOnWriteArrayList<>();
    private volatile SSLContext tls;
    private volatile boolean keepBodies = true;

    private ScriptedSmtpServer(Function<String, String> rcptReply, boolean silent) throws IOException {
        this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.rcptReply = rcptReply;
        this.silent = silent;
        threads.submit(this::acceptLoop);
    }

    /** Accepts everything and records each message byte for byte. */
    public static ScriptedSmtpServer recording() throws IOException {
        return new ScriptedSmtpServer(address -> "250 2.1.5 OK", false);
    }

    /** Offers STARTTLS with a self-signed certificate made for this test run. */
    public ScriptedSmtpServer withStartTls() {
        return withStartTls(TestCertificates.get().serverContext("self-signed"));
    }

    /** Offers STARTTLS and presents the certificate of {@code context} (see {@link TestCertificates}). */
    public ScriptedSmtpServer withStartTls(SSLContext context) {
        tls = context;
        return this;
    }

    /** Counts messages without keeping their bytes (a load of large messages). */
    public ScriptedSmtpServer withoutBodies() {
        keepBodies = false;
        return this;
    }

    /** The TLS protocol of each session that switched to TLS with STARTTLS. */
    public List<String> tlsSessions() {
        return tlsSessions;
    }

    /** Answers RCPT TO with {@code rcptReply(address)}, everything else with success. */
    public static ScriptedSmtpServer answeringRcpt(Function<String, String> rcptReply) throws IOException {
        return new ScriptedSmtpServer(rcptReply, false);
    }

    /**
     * Answers 451 to its first {@code refusals} RCPT commands, then accepts: with one recipient
     * per mail, a next hop that cannot take the first {@code refusals} transactions (count them
     * with {@link #transactionCount()}).
     */
    public static ScriptedSmtpServer deferringFirst(int refusals) throws IOException {
        AtomicInteger rcpts = new AtomicInteger();
        return new ScriptedSmtpServer(address -> rcpts.incrementAndGet() <= refusals
            ? "451 4.3.0 try again later" : "250 2.1.5 OK", false);
    }

    /** Accepts connections and never answers: a hung peer. */
    public static ScriptedSmtpServer silent() throws IOException {
        return new ScriptedSmtpServer(address -> "250 OK", true);
    }

    public String hostAndPort() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    public int port() {
        return socket.getLocalPort();
    }

    public List<String> commands() {
        return commands;
    }

    /** The accepted recipients of each message received (whatever the sessions' interleaving). */
    public List<List<String>> transactions() {
        return transactions;
    }

    /** Each message received, exactly as sent between DATA and the final dot (dot-stuffing undone). */
    public List<byte[]> messages() {
        return messages;
    }

    public int connectionCount() {
        return connections.size();
    }

    /** The MAIL FROM commands received: one per transaction a client started. */
    public long transactionCount() {
        return commands.stream().filter(command -> command.toUpperCase().startsWith("MAIL FROM:")).count();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                connections.add(client.getRemoteSocketAddress().toString());
                threads.submit(() -> converse(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void converse(Socket client) {
        try (client) {
            if (silent) {
                client.getInputStream().read();
                return;
            }
            Socket socket = client;
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            reply(out, "220 scripted ESMTP");
            String line;
            List<String> accepted = new java.util.ArrayList<>();
            while ((line = readCommand(in)) != null) {
                commands.add(line);
                String upper = line.toUpperCase();
                if (upper.startsWith("EHLO")) {
                    boolean offerTls = tls != null && !(socket instanceof SSLSocket);
                    reply(out, "250-scripted\r\n250-SIZE 100000000\r\n" + (offerTls ? "250-STARTTLS\r\n" : "") + "250 8BITMIME");
                } else if (upper.equals("STARTTLS") && tls != null) {
                    reply(out, "220 2.0.0 ready to start TLS");
                    SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
                    secure.setUseClientMode(false);
                    secure.startHandshake();
                    tlsSessions.add(secure.getSession().getProtocol());
                    socket = secure;
                    in = new BufferedInputStream(secure.getInputStream());
                    out = secure.getOutputStream();
                } else if (upper.startsWith("MAIL FROM:") || upper.equals("RSET")) {
                    accepted.clear();
                    reply(out, "250 OK");
                } else if (upper.startsWith("RCPT TO:")) {
                    String address = line.substring(8).trim().replaceAll("^<|>.*$", "");
                    String answer = rcptReply.apply(address);
                    if (answer.startsWith("2")) {
                        accepted.add(address);
                    }
                    reply(out, answer);
                } else if (upper.equals("DATA")) {
                    reply(out, "354 go ahead");
                    byte[] data = readData(in);
                    messages.add(keepBodies ? data : new byte[0]);
                    transactions.add(List.copyOf(accepted));
                    accepted.clear();
                    reply(out, "250 2.0.0 queued");
                } else if (upper.equals("QUIT")) {
                    reply(out, "221 bye");
                    return;
                } else {
                    reply(out, "250 OK");
                }
            }
        } catch (IOException e) {
            // client went away
        }
    }

    private static String readCommand(InputStream in) throws IOException {
        byte[] line = readLine(in);
        return line == null ? null : new String(line, StandardCharsets.ISO_8859_1).replaceAll("\r?\n$", "");
    }

    /** Raw lines up to and including LF, so the message's own bytes (CR, 8-bit) are kept. */
    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            line.write(b);
            if (b == '\n') {
                return line.toByteArray();
            }
        }
        return line.size() == 0 ? null : line.toByteArray();
    }

    private static byte[] readData(InputStream in) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        byte[] line;
        while ((line = readLine(in)) != null) {
            if (line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n') {
                break;
            }
            int skip = line.length > 1 && line[0] == '.' ? 1 : 0;
            data.write(line, skip, line.length - skip);
        }
        return data.toByteArray();
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        threads.shutdownNow();
    }
}
