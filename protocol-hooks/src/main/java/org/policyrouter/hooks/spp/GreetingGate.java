package org.policyrouter.hooks.spp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

/**
 * Holds back what James writes at connection time (its greeting) while the [connection] plugins
 * run on a worker, so that an E can replace the greeting as in qmail-spp: James writes the
 * greeting of every connection right after the connect handlers returned and has no way to
 * suppress or delay it. Opened once, on the channel's event loop, then removed.
 */
final class GreetingGate extends ChannelOutboundHandlerAdapter {
    static final String NAME = "sppGreetingGate";

    private final List<Object> heldMessages = new ArrayList<>();
    private final List<ChannelPromise> heldPromises = new ArrayList<>();
    private ChannelHandlerContext context;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        heldMessages.forEach(ReferenceCountUtil::release);
        heldMessages.clear();
        heldPromises.clear();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        heldMessages.add(msg);
        heldPromises.add(promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        // held until open()
    }

    /**
     * Must run on the channel's event loop.
     *
     * @param before       lines to send first (P lines, and the reply replacing the greeting)
     * @param sendGreeting whether James's greeting follows them
     * @param close        whether the connection ends after them
     */
    void open(List<String> before, boolean sendGreeting, boolean close) {
        ChannelHandlerContext ctx = context;
        if (ctx.isRemoved()) {
            // the client left while the plugins ran; handlerRemoved released what was held
            return;
        }
        for (String line : before) {
            ctx.write(Unpooled.wrappedBuffer((line + "\r\n").getBytes(StandardCharsets.US_ASCII)));
        }
        for (int i = 0; i < heldMessages.size(); i++) {
            if (sendGreeting) {
                ctx.write(heldMessages.get(i), heldPromises.get(i));
            } else {
                ReferenceCountUtil.release(heldMessages.get(i));
                heldPromises.get(i).trySuccess();
            }
        }
        heldMessages.clear();
        heldPromises.clear();
        if (close) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.flush();
        }
        ctx.pipeline().remove(this);
    }
}
