package org.policyrouter.it.spool;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.awaitility.Awaitility;

/**
 * A minimal SMTP server that records each transaction's envelope: the sender's domain for
 * non-delivery reports. It refuses recipients named {@code unknown@…} with 550. GreenMail (1.6) answers {@code MAIL FROM:<>} with 250 but then refuses
 * every RCPT ("MAIL must come before RCPT"), so it cannot receive bounces.
 */
final class EnvelopeRecordingSink implements AutoCloseable {
    /** One received message: the envelope as sent, the message as received (dot-unstuffed). */
    static final class Received {
        final String sender;
        final List<String> recipients;
        final String message;

        Received(String sender, List<String> recipients, String message) {
            this.sender = sender;
            this.recipients = recipients;
            this.message = message;
        }
    }

    private static final int MAX_KEPT = 1 << 20;
    private final ServerSocket server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private EnvelopeRecordingSink() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "envelope-recording-sink");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static EnvelopeRecordingSink start() {
        try {
            return new EnvelopeRecordingSink();
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

    List<Received> awaitReceived(int count) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= count);
        return received();
    }

    /** The first message that mentions {@code text} (a report about that recipient). */
    Received awaitReportAbout(String text) {
        return Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> received.stream().filter(message -> message.message.contains(text)).findFirst(), Optional::isPresent)
            .get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread session = new Thread(() -> converse(socket), "envelope-recording-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void converse(Socket socket) {
        try (socket) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            reply(out, "220 sink ready");
            String sender = null;
            List<String> recipients = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                String upper = line.toUpperCase();
                if (upper.startsWith("MAIL FROM:")) {
                    sender = between(line, '<', '>');
                    recipients = new ArrayList<>();
                    reply(out, "250 sender ok");
                } else if (upper.startsWith("RCPT TO:")) {
                    String recipient = between(line, '<', '>');
                    if (recipient.startsWith("unknown@")) {
                        reply(out, "550 5.1.1 <" + recipient + ">: no such user here");
                    } else {
                        recipients.add(recipient);
                        reply(out, "250 recipient ok");
                    }
                } else if (upper.equals("DATA")) {
                    reply(out, "354 go ahead");
                    StringBuilder message = new StringBuilder();
                    while ((line = in.readLine()) != null && !line.equals(".")) {
                        // reports of large messages attach them: the first megabyte says what a test needs
                        if (message.length() < MAX_KEPT) {
                            message.append(line.startsWith(".") ? line.substring(1) : line).append("\r\n");
                        }
                    }
                    received.add(new Received(sender, List.copyOf(recipients), message.toString()));
                    reply(out, "250 queued");
                } else if (upper.equals("QUIT")) {
                    reply(out, "221 bye");
                    return;
                } else {
                    reply(out, "250 ok");
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static String between(String line, char open, char close) {
        int start = line.indexOf(open);
        int end = line.indexOf(close, start + 1);
        return start < 0 || end < 0 ? line : line.substring(start + 1, end);
    }

    private static void reply(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
