package org.policyrouter.mailets;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;

import javax.mail.MessagingException;

import com.sun.mail.smtp.SMTPTransport;

/**
 * One open SMTP connection to a next hop, after EHLO (and STARTTLS as its route's TLS level says): used by one
 * delivering thread at a time, kept in {@link RelayConnections} between transactions. Its raw
 * socket is kept so that the write watchdog can break a write the peer stopped reading.
 */
final class RelayConnection {
    /** Its {@code toString()} is what replies and failures name: host:port, or name[address]:port for an MX host. */
    final RelayRoute route;
    final SMTPTransport transport;
    private final Socket socket;
    private final long openedAt = System.nanoTime();
    private final WriteWatchdog.Watch writes;
    private volatile long idleSince;
    private volatile boolean aborted;
    /** A transaction was started since the last RSET (or the EHLO). */
    private boolean dirty;

    RelayConnection(RelayRoute route, SMTPTransport transport, Socket socket, WriteWatchdog watchdog) {
        this.route = route;
        this.transport = transport;
        this.socket = socket;
        this.writes = watchdog.watch(route.toString(), this::abort);
    }

    /** Before each transaction but the first: RSET, so that no state of the last one is left over. */
    void startTransaction() throws MessagingException {
        if (dirty) {
            reset();
        }
        dirty = true;
    }

    /** RSET: also proves that a connection taken from the cache still answers. */
    void reset() throws MessagingException {
        transport.issueCommand("RSET", 250);
        dirty = false;
    }

    boolean aborted() {
        return aborted;
    }

    void idle() {
        idleSince = System.nanoTime();
    }

    boolean idleLongerThan(Duration limit, long now) {
        return now - idleSince > limit.toNanos();
    }

    boolean olderThan(Duration limit, long now) {
        return now - openedAt > limit.toNanos();
    }

    /** The message's bytes go through here: each write is timed, so a peer that stops reading is noticed. */
    OutputStream watched(OutputStream out) {
        return writes.timed(out);
    }

    /** Breaks the connection at once (a stuck write fails with an I/O error); no QUIT. */
    void abort() {
        aborted = true;
        writes.close();
        try {
            socket.close();
        } catch (IOException | RuntimeException e) {
            // closed already
        }
    }

    /** QUIT, waiting at most {@code patience} for the reply, then closed. */
    void quit(Duration patience) {
        try {
            writes.close();
            socket.setSoTimeout((int) Math.max(1, patience.toMillis()));
            transport.close();
        } catch (IOException | MessagingException | RuntimeException e) {
            abort();
        }
    }

    @Override
    public String toString() {
        return route.toString();
    }
}
