package org.policyrouter.hooks.core;

import java.lang.reflect.Field;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.netty.NettyProtocolTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;

/**
 * The Netty channel behind a James session. James 3.8 keeps it private in NettyProtocolTransport
 * and offers no way to hold back the greeting or to pause and resume reading in order; both are
 * needed to run plugins off the I/O thread and to reply after the spool's fsync. When the field
 * cannot be reached (another James version), callers fall back to doing their work on the I/O
 * thread.
 */
public final class SessionChannel {
    private static final Logger LOGGER = LoggerFactory.getLogger(SessionChannel.class);
    private static final Optional<Field> CHANNEL = channelField();

    private SessionChannel() {
    }

    private static Optional<Field> channelField() {
        try {
            Field field = NettyProtocolTransport.class.getDeclaredField("channel");
            field.setAccessible(true);
            return Optional.of(field);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOGGER.warn("cannot reach the Netty channel of James sessions ({}): spp plugins and the wait for the spool's fsync will run on the I/O threads", e.toString());
            return Optional.empty();
        }
    }

    public static boolean isReachable() {
        return CHANNEL.isPresent();
    }

    public static Optional<Channel> of(ProtocolSession session) {
        if (CHANNEL.isEmpty() || !(session instanceof ProtocolSessionImpl)) {
            return Optional.empty();
        }
        ProtocolTransport transport = ((ProtocolSessionImpl) session).getProtocolTransport();
        if (!(transport instanceof NettyProtocolTransport)) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable((Channel) CHANNEL.get().get(transport));
        } catch (IllegalAccessException e) {
            return Optional.empty();
        }
    }

    /**
     * False once the connection is closed or closing: a connect handler after one that refused the
     * client (a connection limit) skips its work, since James runs every connect handler anyway.
     * True when the channel cannot be reached.
     */
    public static boolean isOpen(ProtocolSession session) {
        return of(session).map(Channel::isActive).orElse(true);
    }
}
