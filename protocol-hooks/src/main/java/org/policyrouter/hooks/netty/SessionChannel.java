package org.policyrouter.hooks.netty;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.api.ProtocolTransport;

import io.netty.channel.Channel;

/**
 * The Netty channel behind a James session. James 3.8 keeps it private in NettyProtocolTransport
 * and offers no way to hold back the greeting or to pause and resume reading in order; both are
 * needed to run plugins off the I/O thread and to reply after the spool's fsync. When the field
 * cannot be reached (another James version, see {@link JamesInternals}) there is no
 * SessionChannel and callers use their fallback. Outside this package nobody sees Netty types.
 */
public final class SessionChannel {
    private final Channel channel;

    SessionChannel(Channel channel) {
        this.channel = channel;
    }

    /** Whether sessions have a reachable channel on this James. */
    public static boolean isReachable() {
        return JamesInternals.probed().channelField().isPresent();
    }

    public static Optional<SessionChannel> of(ProtocolSession session) {
        return nettyChannel(session).map(SessionChannel::new);
    }

    static Optional<Channel> nettyChannel(ProtocolSession session) {
        Optional<Field> field = JamesInternals.probed().channelField();
        if (field.isEmpty() || !(session instanceof ProtocolSessionImpl)) {
            return Optional.empty();
        }
        ProtocolTransport transport = ((ProtocolSessionImpl) session).getProtocolTransport();
        if (!field.get().getDeclaringClass().isInstance(transport)) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable((Channel) field.get().get(transport));
        } catch (IllegalAccessException | ClassCastException e) {
            return Optional.empty();
        }
    }

    /**
     * False once the connection is closed or closing: a connect handler after one that refused the
     * client (a connection limit) skips its work, since James runs every connect handler anyway.
     * True when the channel cannot be reached.
     */
    public static boolean isOpen(ProtocolSession session) {
        return nettyChannel(session).map(Channel::isActive).orElse(true);
    }

    /** True on the thread of the session's event loop, where James runs its handlers. */
    public boolean inEventLoop() {
        return channel.eventLoop().inEventLoop();
    }

    /** Runs the task on the session's event loop, after what it is doing now. */
    public void execute(Runnable task) {
        channel.eventLoop().execute(task);
    }

    /** Runs the task on the session's event loop after the delay; no thread waits meanwhile. */
    public void schedule(Duration delay, Runnable task) {
        channel.eventLoop().schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Installs the session's {@link ReadGate} (at connect), so reading can pause in order later. */
    public void installReadGate() {
        ReadGate.of(channel);
    }

    /** Stops reading; lines already framed wait, in order, until {@link #releaseReading()}. */
    public void holdReading() {
        ReadGate.of(channel).hold();
    }

    public void releaseReading() {
        ReadGate.of(channel).release();
    }

    Channel channel() {
        return channel;
    }
}
