package org.policyrouter.hooks.core;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.netty.HandlerConstants;
import org.apache.james.protocols.netty.NettyProtocolTransport;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

/**
 * Holds back the greeting for a while without blocking a thread, and notices a client that
 * talks before it (qpsmtpd's earlytalker). James 3.8.1 hooks are synchronous and have no way to
 * delay a reply, so this sits in the connection's Netty pipeline just before James's core
 * handler: it keeps what James writes (the greeting) and the lines the client sends, and after the wait, on the channel's own
 * event loop, either lets both through in order or replaces them with a rejection and closes.
 * James does not expose the channel; we read it from NettyProtocolTransport's field, checked
 * once at class load so a James without it fails at start-up, not per connection.
 */
final class GreetingGate extends ChannelDuplexHandler {
    private static final String NAME = "qpsmtpd-greeting-gate";
    private static final Field CHANNEL = channelField();

    private final Deque<Object[]> heldWrites = new ArrayDeque<>();
    private final Deque<Object> heldReads = new ArrayDeque<>();
    private boolean talkedEarly;
    private boolean open = false;

    private GreetingGate() {
    }

    static void hold(ProtocolSession session, Duration wait, Function<Boolean, Verdict> decision, Stage stage) {
        Channel channel = channelOf(session);
        GreetingGate gate = new GreetingGate();
        // right before James's core handler: Netty starts reading before that handler has run
        // its connect handlers (the line decoder sits on another executor), so bytes may already
        // be on their way up; here every decoded line still passes the gate, and every reply too
        channel.pipeline().addBefore(HandlerConstants.CORE_HANDLER, NAME, gate);
        channel.eventLoop().schedule(() -> gate.decide(channel, decision, stage), wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    static void ensureSupported() {
        // loading the class resolves CHANNEL
    }

    private static Field channelField() {
        try {
            Field field = NettyProtocolTransport.class.getDeclaredField("channel");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("this James has no NettyProtocolTransport.channel: cannot delay the greeting", e);
        }
    }

    private static Channel channelOf(ProtocolSession session) {
        try {
            return (Channel) CHANNEL.get(((ProtocolSessionImpl) session).getProtocolTransport());
        } catch (IllegalAccessException | ClassCastException e) {
            throw new IllegalStateException("cannot reach the connection's channel", e);
        }
    }

    private void decide(Channel channel, Function<Boolean, Verdict> decision, Stage stage) {
        if (!channel.isActive()) {
            discardHeld();
            return;
        }
        Verdict verdict = decision.apply(talkedEarly);
        ChannelHandlerContext ctx = channel.pipeline().context(this);
        if (ctx == null) {
            return;
        }
        if (verdict.code().rejects()) {
            discardHeld();
            String reply = stage.replyCode(verdict.code()) + " " + stage.replyText(verdict) + "\r\n";
            ctx.writeAndFlush(Unpooled.copiedBuffer(reply, StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        open = true;
        while (!heldWrites.isEmpty()) {
            Object[] write = heldWrites.poll();
            ctx.write(write[0], (ChannelPromise) write[1]);
        }
        ctx.flush();
        boolean read = !heldReads.isEmpty();
        while (!heldReads.isEmpty()) {
            ctx.fireChannelRead(heldReads.poll());
        }
        if (read) {
            ctx.fireChannelReadComplete();
        }
        channel.pipeline().remove(this);
    }

    private void discardHeld() {
        heldWrites.forEach(write -> {
            ReferenceCountUtil.release(write[0]);
            ((ChannelPromise) write[1]).trySuccess();
        });
        heldWrites.clear();
        heldReads.forEach(ReferenceCountUtil::release);
        heldReads.clear();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (open) {
            ctx.fireChannelRead(msg);
            return;
        }
        talkedEarly = true;
        heldReads.add(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (open) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (open) {
            ctx.write(msg, promise);
            return;
        }
        heldWrites.add(new Object[] {msg, promise});
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (open) {
            ctx.flush();
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        discardHeld();
        ctx.close(promise);
    }
}
