package org.policyrouter.hooks.netty;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.netty.HandlerConstants;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

/**
 * Holds back James's greeting, without a thread waiting, until a decision replaces or releases
 * it: qpsmtpd's earlytalker (a timer, then refuse a client that talked first) and spp's
 * [connection] plugins (running on a worker; an E replaces the greeting as in qmail-spp). James
 * 3.8.1 writes the greeting right after the connect handlers returned and has no way to delay or
 * replace it, so this sits in the connection's pipeline just before James's core handler: it keeps
 * what James writes and the lines the client sends, in order, and notes whether the client talked.
 * Opened once, on the channel's event loop, then removed.
 */
public final class GreetingHold extends ChannelDuplexHandler {
    private final Channel channel;
    private final Deque<Object> heldWrites = new ArrayDeque<>();
    private final Deque<ChannelPromise> heldPromises = new ArrayDeque<>();
    private final Deque<Object> heldReads = new ArrayDeque<>();
    private boolean talkedEarly;
    private boolean open;

    private GreetingHold(Channel channel) {
        this.channel = channel;
    }

    /** At connect: holds the greeting; empty when the channel cannot be reached (James greets at once). */
    public static Optional<GreetingHold> install(ProtocolSession session) {
        Optional<Channel> channel = SessionChannel.nettyChannel(session);
        if (channel.isEmpty() || !channel.get().isActive()) {
            return Optional.empty();
        }
        return Optional.of(install(channel.get()));
    }

    static GreetingHold install(Channel channel) {
        GreetingHold hold = new GreetingHold(channel);
        // right before James's core handler: Netty starts reading before that handler has run its
        // connect handlers (the line decoder sits on another executor), so bytes may already be on
        // their way up; here every decoded line still passes the hold, and every reply too. A
        // generated name: earlytalker and spp may both hold the same greeting.
        channel.pipeline().addBefore(HandlerConstants.CORE_HANDLER, null, hold);
        return hold;
    }

    /** After the delay, on the channel's event loop: {@code decision} gets whether the client talked before the greeting. */
    public void after(Duration delay, Consumer<Boolean> decision) {
        new SessionChannel(channel).schedule(delay, () -> decision.accept(talkedEarly));
    }

    /**
     * From any thread; carried out on the channel's event loop.
     *
     * @param before       reply lines (without CRLF) to send first: P lines, a reply replacing the greeting
     * @param sendGreeting whether James's greeting follows them
     * @param close        whether the connection ends after them; otherwise the lines the client sent meanwhile go on to James
     */
    public void open(List<String> before, boolean sendGreeting, boolean close) {
        channel.eventLoop().execute(() -> openOnEventLoop(before, sendGreeting, close));
    }

    private void openOnEventLoop(List<String> before, boolean sendGreeting, boolean close) {
        ChannelHandlerContext ctx = channel.pipeline().context(this);
        if (ctx == null || !channel.isActive()) {
            // the client left meanwhile: nothing to send
            discardHeld();
            return;
        }
        open = true;
        for (String line : before) {
            ctx.write(Unpooled.copiedBuffer(line + "\r\n", StandardCharsets.US_ASCII));
        }
        if (sendGreeting) {
            while (!heldWrites.isEmpty()) {
                ctx.write(heldWrites.poll(), heldPromises.poll());
            }
        }
        discardHeldWrites();
        if (close) {
            discardHeld();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
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

    private void discardHeldWrites() {
        heldWrites.forEach(ReferenceCountUtil::release);
        heldWrites.clear();
        heldPromises.forEach(ChannelPromise::trySuccess);
        heldPromises.clear();
    }

    private void discardHeld() {
        discardHeldWrites();
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
        heldWrites.add(msg);
        heldPromises.add(promise);
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

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        discardHeld();
    }
}
