package org.policyrouter.hooks.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.james.protocols.netty.HandlerConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

/** The greeting held in a pipeline shaped like James's: this hold, then James's core handler. */
class GreetingHoldTest {
    private final List<String> linesReachingJames = new ArrayList<>();
    private EmbeddedChannel channel;

    @BeforeEach
    void pipeline() {
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(HandlerConstants.CORE_HANDLER, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                linesReachingJames.add(((ByteBuf) msg).toString(StandardCharsets.US_ASCII));
                ((ByteBuf) msg).release();
            }
        });
    }

    @Test
    void theGreetingWaitsAndThenGoesOutWithWhatTheClientSentPassedOnInOrder() {
        GreetingHold hold = GreetingHold.install(channel);
        greet();
        clientSends("EHLO a\r\n");
        clientSends("MAIL FROM:<a@b>\r\n");

        assertThat(written()).isEmpty();
        assertThat(linesReachingJames).isEmpty();

        hold.open(List.of("220-printed by a plugin"), true, false);
        channel.runPendingTasks();

        assertThat(written()).isEqualTo("220-printed by a plugin\r\n220 james ESMTP\r\n");
        assertThat(linesReachingJames).containsExactly("EHLO a\r\n", "MAIL FROM:<a@b>\r\n");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void aRejectionReplacesTheGreetingAndClosesTheConnection() {
        GreetingHold hold = GreetingHold.install(channel);
        greet();
        clientSends("EHLO early\r\n");

        hold.open(List.of("450 4.7.1 Connecting host started transmitting before SMTP greeting"), false, true);
        channel.runPendingTasks();

        assertThat(written()).isEqualTo("450 4.7.1 Connecting host started transmitting before SMTP greeting\r\n");
        assertThat(linesReachingJames).isEmpty();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void theDecisionAfterTheDelayKnowsWhetherTheClientTalkedFirst() throws Exception {
        GreetingHold quiet = GreetingHold.install(channel);
        AtomicReference<Boolean> talked = new AtomicReference<>();
        quiet.after(Duration.ZERO, talked::set);
        channel.runPendingTasks();
        channel.runScheduledPendingTasks();
        assertThat(talked.get()).isFalse();

        pipeline();
        GreetingHold early = GreetingHold.install(channel);
        clientSends("HELO x\r\n");
        early.after(Duration.ZERO, talked::set);
        Thread.sleep(5);
        channel.runScheduledPendingTasks();
        assertThat(talked.get()).isTrue();
    }

    private void greet() {
        channel.writeAndFlush(Unpooled.copiedBuffer("220 james ESMTP\r\n", StandardCharsets.US_ASCII));
    }

    private void clientSends(String line) {
        channel.writeInbound(Unpooled.copiedBuffer(line, StandardCharsets.US_ASCII));
    }

    private String written() {
        StringBuilder out = new StringBuilder();
        ByteBuf buffer;
        while ((buffer = channel.readOutbound()) != null) {
            out.append(buffer.toString(StandardCharsets.US_ASCII));
            buffer.release();
        }
        return out.toString();
    }
}
