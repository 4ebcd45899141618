package org.policyrouter.hooks.netty;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.netty.HandlerConstants;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * Whether a session's channel reads, and whether the lines it framed reach James:
 * <ul>
 *   <li><b>held</b> while a reply waits (the 250 after the spool's fsync, a plugin running off the
 *   I/O thread): reading stops and the lines the client pipelined behind the command wait here, in
 *   order, until {@link #release};</li>
 *   <li><b>backlogged</b> while too many framed bytes wait to be processed: reading stops, the
 *   lines already framed keep flowing. James 3.8 lacks this backpressure: it frames lines on an
 *   executor group and processes them on the channel's event loop, two unbounded task queues in a
 *   row, so a client sending faster than James stores its DATA fills the direct memory with
 *   framed lines (ten 200 MB messages at once exhausted 256 MB).</li>
 * </ul>
 * Counting the bytes read (after TLS), the bytes of over-long lines James throws away, and the
 * bytes of the lines processed bounds what waits, per session: reads queued for the framer, its
 * buffer, and framed lines queued for James. Both pause reasons share James's one
 * switch, autoRead, so nothing else may turn it on or off (Netty's FlowControlHandler would hold
 * lines whenever autoRead is off, backpressure included: a deadlock).
 */
public final class ReadGate {
    /** Reading pauses once this much read data waits for processing, and resumes below a quarter of it. */
    static final long HIGH_WATERMARK = 1024 * 1024;
    private static final Pattern TOO_LONG = Pattern.compile("frame length \\((\\d+)\\)");
    private static final AttributeKey<ReadGate> KEY = AttributeKey.valueOf("policyrouterReadGate");
    private static final String READ = "policyrouterReadBytes";
    /** Right after the framer; {@link LineFraming}'s marker goes after it, so both see the framer's exceptions. */
    static final String DISCARDED = "policyrouterDiscardedBytes";
    /** The line feed, with the carriage return before it, that a thrown-away line's length in the exception leaves out. */
    private static final int DELIMITER = 2;
    private static final String GATEKEEPER = "policyrouterGatekeeper";

    private final Channel channel;
    private final Gatekeeper gatekeeper = new Gatekeeper();
    private int holds;
    private boolean backlogged;
    private long read;
    private long discarded;
    private long processed;

    private ReadGate(Channel channel) {
        this.channel = channel;
    }

    /** The channel's gate, installed at the first call (at connect). */
    static ReadGate of(Channel channel) {
        ReadGate existing = channel.attr(KEY).get();
        if (existing != null) {
            return existing;
        }
        ReadGate gate = new ReadGate(channel);
        ReadGate raced = channel.attr(KEY).setIfAbsent(gate);
        if (raced != null) {
            return raced;
        }
        ChannelPipeline pipeline = channel.pipeline();
        // first: what was read (after TLS, which James adds in front of it)
        pipeline.addFirst(READ, gate.new ReadMeter());
        if (pipeline.context(HandlerConstants.FRAMER) != null) {
            // on the framer's own executor: the bytes of the over-long lines it throws away
            pipeline.addAfter(pipeline.context(HandlerConstants.FRAMER).executor(), HandlerConstants.FRAMER, DISCARDED, gate.new DiscardMeter());
        }
        pipeline.addBefore(HandlerConstants.CORE_HANDLER, GATEKEEPER, gate.gatekeeper);
        return gate;
    }

    /** Holds the session's channel until {@link #release(ProtocolSession)} (James's own pause when the channel cannot be reached). */
    public static void hold(ProtocolSession session) {
        Optional<Channel> channel = SessionChannel.nettyChannel(session);
        if (channel.isPresent()) {
            of(channel.get()).hold();
        } else {
            SessionTransport.setReadable(session, false);
        }
    }

    public static void release(ProtocolSession session) {
        Optional<Channel> channel = SessionChannel.nettyChannel(session);
        if (channel.isPresent()) {
            of(channel.get()).release();
        } else {
            SessionTransport.setReadable(session, true);
        }
    }

    /** Stops reading, and the lines already framed wait, in order, until {@link #release}. */
    synchronized void hold() {
        holds++;
        apply();
    }

    synchronized void release() {
        holds = Math.max(0, holds - 1);
        apply();
        if (holds == 0) {
            channel.eventLoop().execute(gatekeeper::drain);
        }
    }

    private synchronized boolean isHeld() {
        return holds > 0;
    }

    private synchronized void read(long bytes) {
        read += bytes;
        if (!backlogged && waiting() > HIGH_WATERMARK) {
            backlogged = true;
            apply();
        }
    }

    /** Bytes of a line some handler after the framer threw away (in place of the line James gets a marker that counts as nothing). */
    static void discarded(Channel channel, long bytes) {
        ReadGate gate = channel.attr(KEY).get();
        if (gate != null) {
            gate.discarded(bytes);
        }
    }

    private synchronized void discarded(long bytes) {
        discarded += bytes;
        resumeIfDrained();
    }

    private synchronized void processed(long bytes) {
        processed += bytes;
        resumeIfDrained();
    }

    private void resumeIfDrained() {
        if (backlogged && waiting() < HIGH_WATERMARK / 4) {
            backlogged = false;
            apply();
        }
    }

    /** Read, and neither processed nor thrown away: queued for the framer, in its buffer, or framed and queued for James. */
    private long waiting() {
        return read - discarded - processed;
    }

    private void apply() {
        channel.config().setAutoRead(holds == 0 && !backlogged);
    }

    /** In front: counts what the session read. */
    private final class ReadMeter extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            long bytes = msg instanceof ByteBuf ? ((ByteBuf) msg).readableBytes() : 0;
            ctx.fireChannelRead(msg);
            read(bytes);
        }
    }

    /** After the framer, on its executor: a line over James's limit is thrown away, and said so in its exception. */
    private final class DiscardMeter extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException) {
                Matcher length = TOO_LONG.matcher(String.valueOf(cause.getMessage()));
                if (length.find()) {
                    discarded(Long.parseLong(length.group(1)) + DELIMITER);
                }
            }
            ctx.fireExceptionCaught(cause);
        }
    }

    /** Before James's core handler, on the event loop: keeps lines while held, counts those that pass. */
    private final class Gatekeeper extends ChannelInboundHandlerAdapter {
        private final ArrayDeque<Object> waiting = new ArrayDeque<>();
        private ChannelHandlerContext context;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            context = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (isHeld() || !waiting.isEmpty()) {
                waiting.add(msg);
                return;
            }
            pass(ctx, msg);
        }

        /** On the event loop, after a release: the lines that waited go on until a new hold. */
        void drain() {
            Object msg;
            while (!isHeld() && (msg = waiting.poll()) != null) {
                pass(context, msg);
            }
        }

        private void pass(ChannelHandlerContext ctx, Object msg) {
            // a marker stands for a line already counted as thrown away
            long bytes = msg instanceof ByteBuf && !LineFraming.isMarker((ByteBuf) msg) ? ((ByteBuf) msg).readableBytes() : 0;
            ctx.fireChannelRead(msg);
            processed(bytes);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            waiting.forEach(ReferenceCountUtil::release);
            waiting.clear();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            waiting.forEach(ReferenceCountUtil::release);
            waiting.clear();
            ctx.fireChannelInactive();
        }
    }
}
