package org.policyrouter.hooks.netty;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.netty.HandlerConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * The idle timeout James is configured with ({@code <connectiontimeout>}), applied once.
 *
 * <p>James 3.8.1's {@code TimeoutHandler} is an {@code IdleStateHandler} that closes the connection
 * when {@code evt.equals(IdleStateEvent.READER_IDLE_STATE_EVENT)}; Netty fires
 * {@code FIRST_READER_IDLE_STATE_EVENT} first (a distinct instance, no {@code equals}), so the first
 * timeout passes unnoticed and the connection is closed at the second: 720 s for 360 s configured.
 * This puts in its place a handler with the same timeout that closes at the first one, after a
 * {@code 421} reply (as Postfix does) so the client knows why.
 */
public final class IdleTimeouts {
    private static final Logger LOGGER = LoggerFactory.getLogger(IdleTimeouts.class);

    private IdleTimeouts() {
    }

    /**
     * At connect: from now on, {@code reply} (one line, without CRLF) then close after James's
     * configured idle time without input. Returns that time, empty when there is none (James's
     * handler absent, timeout 0) or the channel cannot be reached.
     */
    public static Optional<Duration> install(ProtocolSession session, String reply) {
        Optional<Channel> channel = SessionChannel.nettyChannel(session);
        if (channel.isEmpty() || !channel.get().isActive()) {
            return Optional.empty();
        }
        ChannelPipeline pipeline = channel.get().pipeline();
        ChannelHandler james = pipeline.get(HandlerConstants.TIMEOUT_HANDLER);
        if (!(james instanceof IdleStateHandler) || james instanceof Closing) {
            return Optional.empty();
        }
        long millis = ((IdleStateHandler) james).getReaderIdleTimeInMillis();
        if (millis <= 0) {
            return Optional.empty();
        }
        pipeline.replace(HandlerConstants.TIMEOUT_HANDLER, HandlerConstants.TIMEOUT_HANDLER, new Closing(millis, reply, session.getSessionID()));
        return Optional.of(Duration.ofMillis(millis));
    }

    private static final class Closing extends IdleStateHandler {
        private final byte[] reply;
        private final String sessionId;

        Closing(long millis, String reply, String sessionId) {
            super(millis, 0, 0, TimeUnit.MILLISECONDS);
            this.reply = (reply + "\r\n").getBytes(StandardCharsets.US_ASCII);
            this.sessionId = sessionId;
        }

        @Override
        protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
            if (event.state() != IdleState.READER_IDLE || !ctx.channel().isActive()) {
                return;
            }
            LOGGER.info("{}: no input from {} for {} ms, closing", sessionId, ctx.channel().remoteAddress(), getReaderIdleTimeInMillis());
            // written to the socket at once when it can take it; a client that reads nothing does not hold the close
            ctx.writeAndFlush(Unpooled.wrappedBuffer(reply));
            ctx.close();
        }
    }
}
