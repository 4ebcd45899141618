package org.policyrouter.mailets;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

import javax.mail.MessagingException;
import javax.net.SocketFactory;

import org.policyrouter.policy.RelayHost;
import org.policyrouter.policy.TlsLevel;
import org.policyrouter.spool.Flushes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


import com.sun.mail.smtp.SMTPTransport;

/**
 * The SMTP client's connection cache, like Postfix's: a connection that ended a transaction
 * cleanly waits up to {@code cacheTime} (Postfix's smtp_connection_cache_time_limit, 2 s) for the
 * next mail to the same host and is reused, RSET first, for at most {@code reuseTime} after it was
 * opened (smtp_connection_reuse_time_limit, 300 s). A host that did not answer is skipped for
 * {@code deadHostTime} (see {@link #suspension}). Its one thread, a {@link WriteWatchdog}, breaks
 * any write a peer has not taken for {@code writeTimeout} (JavaMail's own write timeout starts a
 * thread per connection) and closes idle connections past their time.
 */
final class RelayConnections implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.delivery");
    /** The socket JavaMail just created on this thread through {@link #SOCKETS}: the connection's raw socket. */
    private static final ThreadLocal<Socket> OPENED = new ThreadLocal<>();
    static final SocketFactory SOCKETS = new CapturingSocketFactory();

    private final TlsSessions sessions;
    private final Duration cacheTime;
    private final Duration reuseTime;
    private final Map<RelayRoute, Deque<RelayConnection>> idle = new ConcurrentHashMap<>();
    private final Set<RelayConnection> busy = ConcurrentHashMap.newKeySet();
    private final Map<RelayHost, Suspension> suspended = new ConcurrentHashMap<>();
    private final Duration deadHostTime;
    private final WriteWatchdog watchdog;

    RelayConnections(TlsSessions sessions, Duration cacheTime, Duration reuseTime, Duration writeTimeout, Duration deadHostTime) {
        this.sessions = sessions;
        this.deadHostTime = deadHostTime;
        this.cacheTime = cacheTime;
        this.reuseTime = reuseTime;
        this.watchdog = new WriteWatchdog("policyrouter-relay-watchdog", writeTimeout, this::sweep);
    }

    /**
     * Why this host is not tried now: it did not answer a connection (refused, timed out, no
     * greeting) less than {@code deadHostTime} ago and no flush came since, as Postfix's queue
     * manager skips a dead destination. Its mail is deferred at once instead of tying a spooler
     * thread to a host that times out every time.
     */
    Optional<String> suspension(RelayHost host) {
        Suspension suspension = suspended.get(host);
        if (suspension == null) {
            return Optional.empty();
        }
        if (suspension.until - System.nanoTime() < 0 || suspension.flushes != Flushes.count()) {
            suspended.remove(host, suspension);
            return Optional.empty();
        }
        return Optional.of(suspension.reason + " (not tried again for " + deadHostTime.toSeconds() + "s)");
    }

    void suspend(RelayHost host, String reason) {
        if (!deadHostTime.isZero()) {
            suspended.put(host, new Suspension(System.nanoTime() + deadHostTime.toNanos(), Flushes.count(), reason));
        }
    }

    /** A connection on this route (host, name, TLS level) left by an earlier mail, if one is still fresh. */
    Optional<RelayConnection> cached(RelayRoute route) {
        Deque<RelayConnection> waiting = idle.get(route);
        if (waiting == null) {
            return Optional.empty();
        }
        long now = System.nanoTime();
        for (RelayConnection connection = waiting.pollFirst(); connection != null; connection = waiting.pollFirst()) {
            if (connection.idleLongerThan(cacheTime, now) || connection.olderThan(reuseTime, now)) {
                connection.quit(Duration.ofSeconds(1));
                continue;
            }
            busy.add(connection);
            return Optional.of(connection);
        }
        return Optional.empty();
    }

    /** A new connection: connected, EHLO said, STARTTLS done as the route's TLS level says. */
    RelayConnection open(RelayRoute route) throws MessagingException {
        return open(route, route.tls);
    }

    /**
     * A new connection for {@code route} opened at another level: {@code may}'s plaintext retry
     * after a failed handshake. It is cached under {@code route}: a {@code may} mail takes a
     * plaintext connection anyway when the peer offers no STARTTLS.
     */
    RelayConnection open(RelayRoute route, TlsLevel level) throws MessagingException {
        SMTPTransport transport = (SMTPTransport) sessions.forLevel(level).getTransport("smtp");
        TlsSockets.connectingTo(route.peerName);
        try {
            transport.connect(route.host.host(), route.host.port(), null, null);
            RelayConnection connection = new RelayConnection(route, transport, OPENED.get(), watchdog);
            busy.add(connection);
            LOGGER.debug("connected to {} (tls={}, {})", route, level.label(), TlsSockets.done() ? "encrypted" : "plaintext");
            return connection;
        } catch (MessagingException | RuntimeException e) {
            Socket socket = OPENED.get();
            if (socket != null) {
                close(socket);
            }
            throw e;
        } finally {
            OPENED.remove();
            TlsSockets.done();
        }
    }

    /** Back into the cache after a clean end of transaction. */
    void release(RelayConnection connection) {
        busy.remove(connection);
        if (connection.aborted() || connection.olderThan(reuseTime, System.nanoTime()) || cacheTime.isZero()) {
            connection.quit(Duration.ofSeconds(1));
            return;
        }
        connection.idle();
        // atomic with the sweep's removal of an empty deque: a connection never lands in a dropped one
        idle.compute(connection.route, (route, waiting) -> {
            Deque<RelayConnection> deque = waiting == null ? new ConcurrentLinkedDeque<>() : waiting;
            deque.addFirst(connection);
            return deque;
        });
    }

    /** Closed at once: broken, or in a state no RSET should be trusted with. */
    void discard(RelayConnection connection) {
        busy.remove(connection);
        connection.abort();
    }

    /** Run by the watchdog's thread: idle connections past their time go, and ended suspensions. */
    private void sweep() {
        long now = System.nanoTime();
        suspended.values().removeIf(suspension -> suspension.until - now < 0);
        List<RelayConnection> expired = new ArrayList<>();
        for (RelayRoute route : idle.keySet()) {
            // MX delivery meets many hosts: a host's deque goes once it is empty
            idle.computeIfPresent(route, (key, waiting) -> {
                waiting.stream().filter(connection -> connection.idleLongerThan(cacheTime, now)).filter(waiting::remove)
                    .forEach(expired::add);
                return waiting.isEmpty() ? null : waiting;
            });
        }
        // QUIT outside the map's lock: a peer slow to answer must not hold up a release
        expired.forEach(connection -> connection.quit(Duration.ofSeconds(1)));
    }

    @Override
    public void close() {
        watchdog.close();
        idle.values().forEach(waiting -> {
            for (RelayConnection connection = waiting.pollFirst(); connection != null; connection = waiting.pollFirst()) {
                connection.quit(Duration.ofSeconds(1));
            }
        });
        busy.forEach(RelayConnection::abort);
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private static final class Suspension {
        final long until;
        final long flushes;
        final String reason;

        Suspension(long until, long flushes, String reason) {
            this.until = until;
            this.flushes = flushes;
            this.reason = reason;
        }
    }

    /** Plain sockets, as JavaMail makes them, remembered for the connection being opened on this thread. */
    private static final class CapturingSocketFactory extends SocketFactory {
        @Override
        public Socket createSocket() {
            Socket socket = new Socket();
            OPENED.set(socket);
            return socket;
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return connected(null, new InetSocketAddress(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localAddress, int localPort) throws IOException {
            return connected(new InetSocketAddress(localAddress, localPort), new InetSocketAddress(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port) throws IOException {
            return connected(null, new InetSocketAddress(address, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return connected(new InetSocketAddress(localAddress, localPort), new InetSocketAddress(address, port));
        }

        private Socket connected(InetSocketAddress local, InetSocketAddress remote) throws IOException {
            Socket socket = createSocket();
            if (local != null) {
                socket.bind(local);
            }
            socket.connect(remote);
            return socket;
        }
    }
}
