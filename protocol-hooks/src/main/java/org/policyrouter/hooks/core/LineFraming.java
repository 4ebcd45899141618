package org.policyrouter.hooks.core;

import java.lang.reflect.Field;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.netty.AbstractChannelPipelineFactory;
import org.apache.james.protocols.netty.AllButStartTlsLineBasedChannelHandler;
import org.apache.james.protocols.netty.HandlerConstants;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.smtpserver.ExtendedSMTPSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;

/**
 * How a session's input is cut into lines, and what becomes of a line that is too long.
 *
 * <p>James 3.8.1 frames SMTP input with a fixed limit ({@code MAX_LINE_LENGTH}, 8,192 bytes before
 * the CRLF) and answers a longer line with {@code 500 Line length exceeded} even inside DATA, where
 * the client reads no reply; at the dot it answers 250 and delivers the message without that line.
 * Here:
 * <ul>
 * <li>the framer is James's own class again (its STARTTLS command-injection check stays), built with
 * the configured limit, put in place of James's with {@code replace}, which hands it whatever the old
 * one had already buffered;</li>
 * <li>a longer line becomes a marker that travels with the lines, in order, to just before James's
 * core handler (behind any {@code FlowControlHandler} holding pipelined lines): there, after James
 * has handled every line before it, a line inside DATA marks the transaction (the message is refused
 * at the dot, see {@link #lineTooLong}); outside DATA James answers {@code 500} as before.</li>
 * </ul>
 */
public final class LineFraming {
    /** The gate just before James's core handler; {@link SessionChannel} puts its flow control in front of it. */
    static final String GATE = "policyrouterLineGate";
    private static final String MARKER = "policyrouterLineTooLong";
    private static final Logger LOGGER = LoggerFactory.getLogger(LineFraming.class);
    private static final AttachmentKey<Boolean> TOO_LONG = AttachmentKey.of("policyrouter.line-too-long", Boolean.class);
    private static final Object LINE_TOO_LONG = new Object() {
        @Override
        public String toString() {
            return "a line too long";
        }
    };
    private static final Optional<Field> DISCARDING = discardingField();

    private LineFraming() {
    }

    /** James's own limit: the framer is left in place for it. */
    public static int jamesMaxLineLength() {
        return AbstractChannelPipelineFactory.MAX_LINE_LENGTH;
    }

    private static Optional<Field> discardingField() {
        try {
            Field field = LineBasedFrameDecoder.class.getDeclaredField("discarding");
            field.setAccessible(true);
            return Optional.of(field);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOGGER.warn("cannot read the state of James's line framer ({}): SMTP lines stay limited to {} bytes (longer ones in DATA are refused at the dot)",
                e.toString(), jamesMaxLineLength());
            return Optional.empty();
        }
    }

    /**
     * At connect: lines up to {@code maxLineLength} bytes (without the CRLF) are taken whole; a
     * longer one inside DATA makes {@link #lineTooLong} true for that transaction. Nothing happens
     * when the session's channel cannot be reached.
     */
    public static void install(SMTPSession session, int maxLineLength) {
        Optional<Channel> channel = SessionChannel.of(session);
        if (channel.isEmpty() || !channel.get().isActive()) {
            return;
        }
        ChannelPipeline pipeline = channel.get().pipeline();
        ChannelHandlerContext framer = pipeline.context(HandlerConstants.FRAMER);
        if (framer == null || pipeline.get(GATE) != null) {
            return;
        }
        pipeline.addBefore(HandlerConstants.CORE_HANDLER, GATE, new Gate(session, maxLineLength));
        boolean replace = maxLineLength != jamesMaxLineLength() && DISCARDING.isPresent();
        // on the framer's own executor (James runs it on a separate one): nothing decodes meanwhile
        EventExecutor executor = framer.executor();
        Runnable swap = () -> {
            if (pipeline.context(HandlerConstants.FRAMER) != framer) {
                return;
            }
            Marker marker = new Marker();
            if (replace) {
                // a client that sent a too-long line before our connect handler ran (before the
                // greeting) has its framer discarding: the rest of that line is not a line
                marker.dropNextFrame = isDiscarding(framer.handler());
                pipeline.replace(HandlerConstants.FRAMER, HandlerConstants.FRAMER,
                    new AllButStartTlsLineBasedChannelHandler(pipeline, maxLineLength, false, "starttls"));
            }
            pipeline.addAfter(executor, HandlerConstants.FRAMER, MARKER, marker);
        };
        if (executor.inEventLoop()) {
            swap.run();
        } else {
            executor.execute(swap);
        }
    }

    /** True when the current message had a line over the limit: it must be refused as a whole. */
    public static boolean lineTooLong(SMTPSession session) {
        return session.getAttachment(TOO_LONG, State.Transaction).orElse(false);
    }

    private static boolean isDiscarding(ChannelHandler framer) {
        try {
            return framer instanceof LineBasedFrameDecoder && DISCARDING.get().getBoolean(framer);
        } catch (IllegalAccessException e) {
            return false;
        }
    }

    /** James is reading a message: DATA was answered 354 and the dot has not come yet. */
    private static boolean inData(ProtocolSession session) {
        return session instanceof ExtendedSMTPSession && ((ExtendedSMTPSession) session).getMimeMessageWriter() != null;
    }

    /** Right after the framer: the framer's "too long" exception becomes a message, in line with the others. */
    private static final class Marker extends ChannelInboundHandlerAdapter {
        private boolean dropNextFrame;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (dropNextFrame && msg instanceof ByteBuf) {
                dropNextFrame = false;
                ReferenceCountUtil.release(msg);
                ctx.fireChannelRead(LINE_TOO_LONG);
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException) {
                ctx.fireChannelRead(LINE_TOO_LONG);
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }

    /** Just before James's core handler: every line before the marker has been handled by James. */
    private static final class Gate extends ChannelInboundHandlerAdapter {
        private final SMTPSession session;
        private final int maxLineLength;

        Gate(SMTPSession session, int maxLineLength) {
            this.session = session;
            this.maxLineLength = maxLineLength;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg != LINE_TOO_LONG) {
                ctx.fireChannelRead(msg);
                return;
            }
            if (!inData(session)) {
                // a command line: James's own answer, 500 Line length exceeded
                ctx.fireExceptionCaught(new TooLongFrameException("line longer than " + maxLineLength + " bytes"));
                return;
            }
            if (!lineTooLong(session)) {
                LOGGER.info("{}: a line of the message is longer than {} bytes: the message will be refused at its end", session.getSessionID(), maxLineLength);
            }
            session.setAttachment(TOO_LONG, true, State.Transaction);
        }
    }
}
