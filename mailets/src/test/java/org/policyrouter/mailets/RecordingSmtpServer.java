package org.policyrouter.mailets;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An SMTP next hop for unit tests, one thread per connection: records each RCPT address exactly
 * as sent, each command, each transaction's accepted recipients, and counts connections. It
 * refuses with 550 the addresses it is given (compared exactly: case matters) and accepts
 * everything else. It can drop every connection after its first transaction without a word (a
 * peer that closed an idle connection), stop reading after DATA (a peer that hangs mid-data), or
 * never greet at all (a hung peer). It can offer STARTTLS with a given certificate, or offer it and
 * then break the handshake; it counts the handshakes that succeeded.
 */
final class RecordingSmtpServer implements AutoCloseable {
    private final ServerSocket server;
    private final Set<String> refused;
    private final List<String> recipients = new CopyOnWriteArrayList<>();
    private final List<String> accepted = new CopyOnWriteArrayList<>();
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final List<List<String>> transactions = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean dropAfterTransaction;
    private volatile boolean stallInData;
    private volatile boolean silent;
    private volatile SSLContext tls;
    private volatile boolean breakHandshake;
    private final AtomicInteger handshakes = new AtomicInteger();

    RecordingSmtpServer(Set<String> refused) {
        this.refused = refused;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(this::serve, "recording-smtp-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    RecordingSmtpServer() {
        this(Set.of());
    }

    /** Each connection is closed, unannounced, once its first transaction is done. */
    RecordingSmtpServer droppingAfterTransaction() {
        dropAfterTransaction = true;
        return this;
    }

    /** After "354" it reads nothing more: the client's writes of a large message block. */
    RecordingSmtpServer stallingInData() {
        stallInData = true;
        return this;
    }

    /** Accepts connections and never says a word: a hung peer. */
    RecordingSmtpServer silent() {
        silent = true;
        return this;
    }

    /** Offers STARTTLS and presents the certificate of {@code context}. */
    RecordingSmtpServer offeringStartTls(SSLContext context) {
        tls = context;
        return this;
    }

    /** Offers STARTTLS, says 220 to it, then answers the handshake with plaintext: every handshake fails. */
    RecordingSmtpServer breakingStartTls(SSLContext context) {
        breakHandshake = true;
        return offeringStartTls(context);
    }

    /** Handshakes after STARTTLS that succeeded. */
    int handshakes() {
        return handshakes.get();
    }

    /** Commands the client sent, by their first word (STARTTLS, MAIL, RCPT...). */
    long count(String verb) {
        return commands.stream().filter(command -> command.toUpperCase().startsWith(verb)).count();
    }

    String hostAndPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Every RCPT address as sent, in order. */
    List<String> recipients() {
        return List.copyOf(recipients);
    }

    /** The recipients of the messages received, as accepted. */
    List<String> accepted() {
        return List.copyOf(accepted);
    }

    /** Each message received: its accepted recipients. */
    List<List<String>> transactions() {
        return List.copyOf(transactions);
    }

    List<String> commands() {
        return List.copyOf(commands);
    }

    int connections() {
        return connections.get();
    }

    private void serve() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                open.add(socket);
                Thread conversation = new Thread(() -> converse(socket), "recording-smtp-connection");
                conversation.setDaemon(true);
                conversation.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void converse(Socket plain) {
        try (plain) {
            Socket socket = plain;
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            if (silent) {
                socket.getInputStream().read();
                return;
            }
            reply(out, "220 recorder");
            List<String> transaction = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                commands.add(line);
                String upper = line.toUpperCase();
                if (upper.startsWith("EHLO")) {
                    boolean offerTls = tls != null && !(socket instanceof SSLSocket);
                    reply(out, "250-recorder\r\n" + (offerTls ? "250-STARTTLS\r\n" : "") + "250 8BITMIME");
                } else if (upper.equals("STARTTLS") && tls != null) {
                    reply(out, "220 2.0.0 ready to start TLS");
                    if (breakHandshake) {
                        reply(out, "this is no TLS server hello");
                        return;
                    }
                    SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
                    secure.setUseClientMode(false);
                    secure.startHandshake();
                    handshakes.incrementAndGet();
                    socket = secure;
                    in = new BufferedReader(new InputStreamReader(secure.getInputStream(), StandardCharsets.ISO_8859_1));
                    out = secure.getOutputStream();
                } else if (upper.startsWith("MAIL FROM:") || upper.equals("RSET")) {
                    transaction.clear();
                    reply(out, "250 ok");
                } else if (upper.startsWith("RCPT TO:")) {
                    String address = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
                    recipients.add(address);
                    if (refused.contains(address)) {
                        reply(out, "550 5.1.1 <" + address + ">: no such user");
                    } else {
                        transaction.add(address);
                        reply(out, "250 2.1.5 ok");
                    }
                } else if (upper.equals("DATA")) {
                    reply(out, "354 go on");
                    if (stallInData) {
                        Thread.sleep(Long.MAX_VALUE);
                    }
                    while ((line = in.readLine()) != null && !line.equals(".")) {
                        // the message itself does not matter here
                    }
                    accepted.addAll(transaction);
                    transactions.add(List.copyOf(transaction));
                    transaction.clear();
                    reply(out, "250 2.0.0 queued");
                    if (dropAfterTransaction) {
                        return;
                    }
                } else if (upper.equals("QUIT")) {
                    reply(out, "221 bye");
                    return;
                } else {
                    reply(out, "250 ok");
                }
            }
        } catch (IOException | InterruptedException e) {
            // the client went away, or the server closed
        }
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
