package org.policyrouter.hooks.netty;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.netty.AbstractChannelPipelineFactory;
import org.apache.james.protocols.netty.AllButStartTlsLineBasedChannelHandler;
import org.apache.james.protocols.netty.HandlerConstants;
import org.apache.james.protocols.smtp.SMTPSession;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
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
 * <li>the framer is James's own class again (its STARTTLS command-injection check stays), built
 * with the configured limit and put in place of James's with {@code replace}, which hands it
 * whatever the old one had already buffered;</li>
 * <li>a longer line becomes a {@linkplain #isMarker marker line} in its place, in order with the
 * other lines, whatever holds them on the way (pipelining flow control, a greeting delay): a frame
 * without the line feed every real line ends with, so no client can send it. James hands it to the
 * session's current line handler: inside DATA to the data line filters (the message is then
 * refused at its end), outside DATA to the command dispatcher as an unknown command.</li>
 * </ul>
 */
public final class LineFraming {
    private static final String MARKER_HANDLER = "policyrouterLineTooLong";
    /** The command a marker line reads as; a client typing it gets the same 500 as for a long line. */
    public static final String MARKER_COMMAND = "X-POLICYROUTER-LINE-TOO-LONG";
    private static final byte[] MARKER = MARKER_COMMAND.getBytes(StandardCharsets.US_ASCII);
    private static final AttachmentKey<Boolean> TOO_LONG = AttachmentKey.of("policyrouter.line-too-long", Boolean.class);

    private LineFraming() {
    }

    /** James's own limit: the framer is left in place for it. */
    public static int jamesMaxLineLength() {
        return AbstractChannelPipelineFactory.MAX_LINE_LENGTH;
    }

    /**
     * At connect: lines up to {@code maxLineLength} bytes (without the CRLF) are taken whole, a
     * longer one becomes a marker line. Nothing happens when the session's channel cannot be reached.
     */
    public static void install(SMTPSession session, int maxLineLength) {
        Optional<Channel> channel = SessionChannel.nettyChannel(session);
        if (channel.isEmpty() || !channel.get().isActive()) {
            return;
        }
        ChannelPipeline pipeline = channel.get().pipeline();
        ChannelHandlerContext framer = pipeline.context(HandlerConstants.FRAMER);
        if (framer == null || pipeline.get(MARKER_HANDLER) != null) {
            return;
        }
        // without the framer's state a replaced framer could pass the tail of a discarded line as a line
        Optional<Field> discarding = JamesInternals.probed().framerStateField();
        boolean replace = maxLineLength != jamesMaxLineLength() && discarding.isPresent();
        // on the framer's own executor (James runs it on a separate one): nothing decodes meanwhile
        EventExecutor executor = framer.executor();
        Runnable swap = () -> {
            if (pipeline.context(HandlerConstants.FRAMER) != framer) {
                return;
            }
            Marker marker = new Marker();
            if (replace) {
                // a client that sent a too-long line before this ran (before the greeting) has the
                // framer discarding it: what the new framer gets first is the rest of that line
                marker.dropNextFrame = isDiscarding(framer.handler(), discarding.get());
                pipeline.replace(HandlerConstants.FRAMER, HandlerConstants.FRAMER,
                    new AllButStartTlsLineBasedChannelHandler(pipeline, maxLineLength, false, "starttls"));
            }
            // after the gate's meter of thrown-away lines when it is there (it always goes right after the framer)
            String before = pipeline.context(ReadGate.DISCARDED) != null ? ReadGate.DISCARDED : HandlerConstants.FRAMER;
            pipeline.addAfter(executor, before, MARKER_HANDLER, marker);
        };
        if (executor.inEventLoop()) {
            swap.run();
        } else {
            executor.execute(swap);
        }
    }

    /** The line stands for a line that was too long (a client's lines all end with a line feed). */
    public static boolean isMarker(byte[] line) {
        return Arrays.equals(line, MARKER);
    }

    static boolean isMarker(ByteBuf line) {
        return line.readableBytes() == MARKER.length && ByteBufUtil.equals(line, Unpooled.wrappedBuffer(MARKER));
    }

    /** Inside DATA: the current message lost a line and must be refused as a whole. */
    public static void markTooLong(SMTPSession session) {
        session.setAttachment(TOO_LONG, true, State.Transaction);
    }

    /** True when the current message had a line over the limit. */
    public static boolean lineTooLong(SMTPSession session) {
        return session.getAttachment(TOO_LONG, State.Transaction).orElse(false);
    }

    private static boolean isDiscarding(ChannelHandler framer, Field discarding) {
        try {
            return framer instanceof LineBasedFrameDecoder && discarding.getBoolean(framer);
        } catch (IllegalAccessException e) {
            return false;
        }
    }

    /** Right after the framer: its "too long" exception becomes a marker line, in line with the others. */
    private static final class Marker extends ChannelInboundHandlerAdapter {
        private boolean dropNextFrame;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (dropNextFrame && msg instanceof ByteBuf) {
                dropNextFrame = false;
                ReadGate.discarded(ctx.channel(), ((ByteBuf) msg).readableBytes());
                ReferenceCountUtil.release(msg);
                ctx.fireChannelRead(Unpooled.wrappedBuffer(MARKER));
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException) {
                ctx.fireChannelRead(Unpooled.wrappedBuffer(MARKER));
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }
}
