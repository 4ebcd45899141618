package org.policyrouter.mailets;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.policyrouter.core.LogText;
import org.policyrouter.policy.RelayHost;

/**
 * Hands one message to a QMQP server as qmail-qmqpc(8) does (http://cr.yp.to/proto/qmqp.html):
 * one connection carries one netstring holding netstring(message), netstring(sender) and a
 * netstring per recipient; the server answers one netstring whose first byte is K (accepted for
 * every recipient), Z (temporary failure) or D (permanent failure), followed by text.
 *
 * <p>The message travels as qmail stores it, with LF line ends, and is streamed, never held: a
 * first pass over its bytes counts the converted length the netstring announces, a second pass
 * sends them.
 *
 * <p>The servers are tried in order, as qmail-qmqpc tries its qmqpservers: one that cannot be
 * reached, stops taking data or answering for {@code timeout}, or answers anything but a K, Z or D
 * netstring is left for the next. Only when none answers does every recipient fail temporarily,
 * with each server's error. (A server that timed out may have queued the message: like any
 * hand-off without an answer, the mail may arrive twice, never not at all.)
 *
 * <p>The servers come parsed by the policy ({@code queue/qmqp-forward}), with QMQP's port 628
 * where none was written.
 */
public final class QmqpClient implements AutoCloseable {
    /** A reply is a status letter and a line of text; a longer one does not come from a QMQP server. */
    static final int MAX_REPLY_LENGTH = 1000;

    private final Duration connectTimeout;
    private final Duration timeout;
    private final WriteWatchdog watchdog;

    /** {@code timeout} bounds every read and every write on the connection. */
    QmqpClient(Duration connectTimeout, Duration timeout) {
        this.connectTimeout = connectTimeout;
        this.timeout = timeout;
        this.watchdog = new WriteWatchdog("policyrouter-qmqp-watchdog", timeout);
    }

    RecipientOutcomes deliver(List<RelayHost> servers, MaybeSender sender, Collection<MailAddress> recipients, MimeMessage message) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no QMQP server to deliver to");
        }
        long messageLength;
        try {
            // counted before connecting: no server waits on an idle connection while the message is read
            messageLength = lfLength(message);
        } catch (IOException | MessagingException e) {
            return RecipientOutcomes.of(recipients, RecipientOutcome.temporaryFailure("4.3.0 cannot read the message: " + describe(e)));
        }
        byte[] envelope = envelope(sender, recipients);
        List<String> failures = new ArrayList<>();
        String status = "4.4.1";
        for (RelayHost server : servers) {
            try {
                return RecipientOutcomes.of(recipients, send(server, message, messageLength, envelope));
            } catch (Unanswered e) {
                failures.add(server + ": " + e.getMessage());
                status = e.status;
            } catch (IOException | MessagingException e) {
                // our side: the message could not be read (again), no other server would fare better
                return RecipientOutcomes.of(recipients, RecipientOutcome.temporaryFailure("4.3.0 cannot read the message: " + describe(e)));
            }
        }
        return RecipientOutcomes.of(recipients,
            RecipientOutcome.temporaryFailure(status + " no qmqp server took the message: " + String.join("; ", failures)));
    }

    /** One connection, one message; the outcome of the server's K, Z or D. */
    private RecipientOutcome send(RelayHost server, MimeMessage message, long messageLength, byte[] envelope)
        throws Unanswered, IOException, MessagingException {
        try (Socket socket = new Socket(); WriteWatchdog.Watch watch = watchdog.watch(server.toString(), () -> close(socket))) {
            try {
                socket.connect(new InetSocketAddress(server.host(), server.port()), millis(connectTimeout));
                socket.setSoTimeout(millis(timeout));
            } catch (IOException e) {
                throw new Unanswered("4.4.1", "connect: " + describe(e));
            }
            PeerFailure writeFailure = null;
            try {
                write(new BufferedOutputStream(new PeerStream(watch.timed(socket.getOutputStream())), 64 * 1024),
                    message, messageLength, envelope);
            } catch (PeerFailure e) {
                writeFailure = e;
            } catch (MessagingException e) {
                writeFailure = peerFailureIn(e).orElseThrow(() -> e);
            }
            if (watch.fired()) {
                throw new Unanswered("4.4.2", "the server took no data for " + millis(timeout) + " ms");
            }
            byte[] reply;
            try {
                // a server may refuse before it read everything (qmqpd refusing a client): its answer still counts
                reply = readReply(socket.getInputStream());
            } catch (IOException | Unanswered e) {
                if (writeFailure != null) {
                    throw new Unanswered("4.4.2", "sending: " + describe(writeFailure.getCause()));
                }
                if (e instanceof Unanswered) {
                    throw (Unanswered) e;
                }
                throw new Unanswered("4.4.2", e instanceof SocketTimeoutException ? "no reply within " + millis(timeout) + " ms" : describe(e));
            }
            return outcome(server, reply);
        }
    }

    private static void write(OutputStream out, MimeMessage message, long messageLength, byte[] envelope)
        throws IOException, MessagingException {
        long total = netstringLength(messageLength) + envelope.length;
        out.write((total + ":" + messageLength + ":").getBytes(StandardCharsets.US_ASCII));
        ExactLength body = new ExactLength(out, messageLength);
        UnixMessage.writeTo(message, body);
        body.checkComplete();
        out.write(',');
        out.write(envelope);
        out.write(',');
        out.flush();
    }

    private static RecipientOutcome outcome(RelayHost server, byte[] reply) throws Unanswered {
        String text = LogText.escape(new String(reply, 1, reply.length - 1, StandardCharsets.UTF_8));
        switch (reply[0]) {
            case 'K':
                return RecipientOutcome.delivered("2.0.0 qmqp server " + server + " said: " + text);
            case 'Z':
                return RecipientOutcome.temporaryFailure("4.3.0 qmqp server " + server + " said: " + text);
            case 'D':
                return RecipientOutcome.permanentFailure("5.3.0 qmqp server " + server + " said: " + text);
            default:
                throw new Unanswered("4.5.0", "malformed reply: unknown status '" + LogText.escape((char) (reply[0] & 0xff)) + "' (K, Z or D expected)");
        }
    }

    /** The reply netstring's content: at least the status letter, at most {@link #MAX_REPLY_LENGTH} bytes. */
    static byte[] readReply(InputStream in) throws IOException, Unanswered {
        int length = 0;
        int digits = 0;
        for (int c = in.read(); c != ':'; c = in.read()) {
            if (c < 0) {
                throw new Unanswered("4.4.2", digits == 0 ? "connection closed without a reply" : "connection closed in the middle of the reply");
            }
            if (c < '0' || c > '9') {
                throw new Unanswered("4.5.0", "malformed reply: not a netstring (" + LogText.escape((char) c) + " in its length)");
            }
            length = length * 10 + (c - '0');
            digits++;
            if (length > MAX_REPLY_LENGTH) {
                throw new Unanswered("4.5.0", "malformed reply: longer than " + MAX_REPLY_LENGTH + " bytes");
            }
        }
        if (digits == 0) {
            throw new Unanswered("4.5.0", "malformed reply: not a netstring (no length)");
        }
        if (length == 0) {
            throw new Unanswered("4.5.0", "malformed reply: empty");
        }
        byte[] reply = in.readNBytes(length);
        int comma = in.read();
        if (reply.length < length || comma < 0) {
            throw new Unanswered("4.4.2", "connection closed in the middle of the reply");
        }
        if (comma != ',') {
            throw new Unanswered("4.5.0", "malformed reply: not a netstring (no comma after " + length + " bytes)");
        }
        return reply;
    }

    /** The first pass: the length of the message with LF line ends, counted, not stored. */
    private static long lfLength(MimeMessage message) throws IOException, MessagingException {
        ExactLength counter = new ExactLength(OutputStream.nullOutputStream(), Long.MAX_VALUE);
        UnixMessage.writeTo(message, counter);
        return counter.written;
    }

    /** netstring(sender) then netstring(recipient) for each: a few hundred bytes, kept in memory. */
    private static byte[] envelope(MaybeSender sender, Collection<MailAddress> recipients) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // the null sender <> is an empty netstring
        writeNetstring(out, sender.asOptional().map(MailAddress::asString).orElse(""));
        recipients.forEach(recipient -> writeNetstring(out, recipient.asString()));
        return out.toByteArray();
    }

    private static void writeNetstring(ByteArrayOutputStream out, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeBytes((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(bytes);
        out.write(',');
    }

    private static long netstringLength(long contentLength) {
        return String.valueOf(contentLength).length() + 1 + contentLength + 1;
    }

    private static int millis(Duration duration) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, duration.toMillis()));
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** JavaMail may wrap an error of the stream it writes to. */
    private static Optional<PeerFailure> peerFailureIn(Throwable failure) {
        for (Throwable e = failure; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof PeerFailure) {
                return Optional.of((PeerFailure) e);
            }
        }
        return Optional.empty();
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage().trim());
    }

    @Override
    public void close() {
        watchdog.close();
    }

    /** No K, Z or D from this server: the next one is tried. */
    static final class Unanswered extends Exception {
        private static final long serialVersionUID = 1L;
        final String status;

        Unanswered(String status, String why) {
            super(why, null, false, false);
            this.status = status;
        }
    }

    /** An I/O error on the connection, told apart from one reading the message, which goes through the same streams. */
    private static final class PeerFailure extends IOException {
        private static final long serialVersionUID = 1L;

        PeerFailure(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private static final class PeerStream extends FilterOutputStream {
        PeerStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws PeerFailure {
            try {
                out.write(b);
            } catch (IOException e) {
                throw new PeerFailure(e);
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws PeerFailure {
            try {
                out.write(bytes, offset, length);
            } catch (IOException e) {
                throw new PeerFailure(e);
            }
        }

        @Override
        public void flush() throws PeerFailure {
            try {
                out.flush();
            } catch (IOException e) {
                throw new PeerFailure(e);
            }
        }
    }

    /**
     * Counts, and refuses to pass more than the announced length: a message that changed between
     * the two passes must not put its extra bytes where the server expects the envelope.
     */
    private static final class ExactLength extends FilterOutputStream {
        private final long announced;
        long written;

        ExactLength(OutputStream out, long announced) {
            super(out);
            this.announced = announced;
        }

        @Override
        public void write(int b) throws IOException {
            if (written == announced) {
                throw changed();
            }
            out.write(b);
            written++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (length > announced - written) {
                throw changed();
            }
            out.write(bytes, offset, length);
            written += length;
        }

        void checkComplete() throws IOException {
            if (written != announced) {
                throw changed();
            }
        }

        private IOException changed() {
            return new IOException("the message changed while it was sent (" + announced + " bytes announced)");
        }
    }
}
