package org.policyrouter.hooks.limits;

import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.policyrouter.hooks.core.ConnectionCounter;
import org.policyrouter.hooks.core.Options;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.policyrouter.hooks.core.NoReply;

/**
 * Simultaneous connections: at most {@code maxConnections} in all and {@code maxConnectionsPerIp}
 * from one client address (Postfix's {@code smtpd_client_connection_count_limit}, 50). The
 * connection over a limit is answered before the greeting and closed:
 * <pre>
 * 421 mx.example.com Too many connections from 192.0.2.7, try again later
 * 421 mx.example.com Too many connections, try again later
 * </pre>
 * Clients James lets relay by address ({@code authorizedAddresses}) are not held to the per-address
 * limit unless {@code limitRelayClients} is true, as Postfix exempts {@code $mynetworks}.
 *
 * <pre>
 * &lt;handler class="org.policyrouter.hooks.limits.ConnectionLimits"&gt;
 *     &lt;maxConnections&gt;1000&lt;/maxConnections&gt;
 *     &lt;maxConnectionsPerIp&gt;50&lt;/maxConnectionsPerIp&gt;
 * &lt;/handler&gt;
 * </pre>
 * {@code 0} turns a limit off. Put it first in the chain: James runs every connect handler even for
 * a refused connection, and the handlers of this project skip their work for a closed one.
 *
 * <p>James's own {@code connectionLimit} / {@code connectionLimitPerIP} close the connection without
 * a word (the client sees the connection drop before any greeting), log nothing about it, and the
 * per-address one keeps a counter for every address it has ever seen.
 */
public class ConnectionLimits implements ConnectHandler<SMTPSession>, DisconnectHandler<SMTPSession> {
    static final int DEFAULT_MAX_CONNECTIONS = 1000;
    static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 50;
    private static final Logger LOGGER = LoggerFactory.getLogger(ConnectionLimits.class);
    private static final AttachmentKey<Boolean> COUNTED = AttachmentKey.of("policyrouter.connection-counted", Boolean.class);
    private static final AttachmentKey<InetAddress> COUNTED_FOR = AttachmentKey.of("policyrouter.connection-counted-for", InetAddress.class);

    private final AtomicInteger connections = new AtomicInteger();
    private final ConnectionCounter perAddress = new ConnectionCounter.InMemory();
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerIp = DEFAULT_MAX_CONNECTIONS_PER_IP;
    private boolean limitRelayClients = false;

    @Override
    public void init(Configuration configuration) throws ConfigurationException {
        try {
            Options options = Options.fromXml(configuration);
            maxConnections = options.integer("maxConnections", DEFAULT_MAX_CONNECTIONS);
            maxConnectionsPerIp = options.integer("maxConnectionsPerIp", DEFAULT_MAX_CONNECTIONS_PER_IP);
            limitRelayClients = options.flag("limitRelayClients", false);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(getClass().getName() + ": " + e.getMessage(), e);
        }
        if (maxConnections < 0 || maxConnectionsPerIp < 0) {
            throw new ConfigurationException(getClass().getName() + ": limits are 0 (none) or more");
        }
    }

    @Override
    public Response onConnect(SMTPSession session) {
        InetAddress client = session.getRemoteAddress().getAddress();
        int open = connections.incrementAndGet();
        session.setAttachment(COUNTED, true, State.Connection);
        boolean perAddressLimited = maxConnectionsPerIp > 0 && (limitRelayClients || !session.isRelayingAllowed());
        int fromClient = 0;
        if (perAddressLimited) {
            fromClient = perAddress.open(client);
            session.setAttachment(COUNTED_FOR, client, State.Connection);
        }
        if (maxConnections > 0 && open > maxConnections) {
            LOGGER.info("connection from {} refused: {} connections open, limit {} (maxConnections)", client.getHostAddress(), open - 1, maxConnections);
            return refuse(session, "Too many connections, try again later");
        }
        if (perAddressLimited && fromClient > maxConnectionsPerIp) {
            LOGGER.info("connection from {} refused: {} connections open from this address, limit {} (maxConnectionsPerIp)",
                client.getHostAddress(), fromClient - 1, maxConnectionsPerIp);
            return refuse(session, "Too many connections from " + client.getHostAddress() + ", try again later");
        }
        return NoReply.NONE;
    }

    private static Response refuse(SMTPSession session, String text) {
        // before the greeting: no enhanced status code (RFC 2034), the server's name as in RFC 5321's 421
        SMTPResponse response = new SMTPResponse("421", session.getConfiguration().getHelloName() + " " + text);
        response.setEndSession(true);
        return response;
    }

    @Override
    public void onDisconnect(SMTPSession session) {
        // James calls disconnect handlers with the session it made at connect, or null when it made none
        if (session == null || session.removeAttachment(COUNTED, State.Connection).isEmpty()) {
            return;
        }
        connections.decrementAndGet();
        session.removeAttachment(COUNTED_FOR, State.Connection).ifPresent(perAddress::close);
    }
}
