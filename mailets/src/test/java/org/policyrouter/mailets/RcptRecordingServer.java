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
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An SMTP next hop that records each RCPT address exactly as sent and refuses with 550 the
 * addresses it is given (compared exactly: case matters), accepting everything else.
 */
final class RcptRecordingServer implements AutoCloseable {
    private final ServerSocket server;
    private final Set<String> refused;
    private final List<String> recipients = new CopyOnWriteArrayList<>();
    private final List<String> accepted = new CopyOnWriteArrayList<>();

    RcptRecordingServer(Set<String> refused) {
        this.refused = refused;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(this::serve, "rcpt-recording-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String hostAndPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Every RCPT address as sent, in order. */
    List<String> recipients() {
        return List.copyOf(recipients);
    }

    /** The recipients of the messages received, as accepted. */
    List<String> accepted() {
        return List.copyOf(accepted);
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                converse(socket);
            } catch (IOException e) {
                // closed, or the client went away
            }
        }
    }

    private void converse(Socket socket) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
        OutputStream out = socket.getOutputStream();
        reply(out, "220 recorder");
        List<String> transaction = new CopyOnWriteArrayList<>();
        String line;
        while ((line = in.readLine()) != null) {
            String upper = line.toUpperCase();
            if (upper.startsWith("EHLO")) {
                reply(out, "250 recorder");
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
                while ((line = in.readLine()) != null && !line.equals(".")) {
                    // the message itself does not matter here
                }
                accepted.addAll(transaction);
                transaction.clear();
                reply(out, "250 2.0.0 queued");
            } else if (upper.equals("QUIT")) {
                reply(out, "221 bye");
                return;
            } else {
                reply(out, "250 ok");
            }
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
