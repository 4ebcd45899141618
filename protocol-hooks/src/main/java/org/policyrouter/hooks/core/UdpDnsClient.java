package org.policyrouter.hooks.core;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.xbill.DNS.Message;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Sends DNS queries over UDP with Netty (which James ships) and matches the answers by ID;
 * dnsjava only encodes and parses the messages. dnsjava 3.5's own asynchronous client loses
 * answers under concurrent queries and finds them only at its next one-second selector round
 * (dnsjava issue #353): under load every such loss stalled an SMTP I/O thread for a second.
 * One channel per client, on its own event loop thread ({@code policyrouter-dns-udp}, ended by
 * {@link #close()}); each query gets a random ID and is
 * tried on each server in turn, each with its share of the timeout. Answers are accepted only
 * from the server asked and for the question asked. Truncated answers are used as they are (no
 * TCP retry): the checks ask small questions.
 */
final class UdpDnsClient implements AutoCloseable {
    private static final SecureRandom IDS = new SecureRandom();

    private final List<InetSocketAddress> servers;
    private final Duration timeout;
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final EventLoopGroup loop = new NioEventLoopGroup(1, new DefaultThreadFactory("policyrouter-dns-udp", true));
    private final Channel channel;

    UdpDnsClient(List<InetSocketAddress> servers, Duration timeout) {
        this.servers = List.copyOf(servers);
        this.timeout = timeout;
        try {
            this.channel = new Bootstrap().group(loop).channel(NioDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        received(packet);
                    }
                })
                .bind(0).sync().channel();
        } catch (InterruptedException e) {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the DNS socket", e);
        }
    }

    @Override
    public void close() {
        channel.close();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** The answer, or an exception (TimeoutException when no server answered in time). */
    CompletableFuture<Message> send(Message query) {
        CompletableFuture<Message> answer = new CompletableFuture<>();
        attempt(query, 0, answer);
        return answer;
    }

    private void attempt(Message query, int serverIndex, CompletableFuture<Message> answer) {
        if (serverIndex >= servers.size()) {
            answer.completeExceptionally(new TimeoutException("no answer from " + servers));
            return;
        }
        InetSocketAddress server = servers.get(serverIndex);
        int id = newId();
        Message copy = query.clone();
        copy.getHeader().setID(id);
        Pending entry = new Pending(server, copy, answer);
        pending.put(id, entry);
        long share = Math.max(1, timeout.toMillis() / servers.size());
        loop.schedule(() -> {
            if (pending.remove(id, entry)) {
                attempt(query, serverIndex + 1, answer);
            }
        }, share, TimeUnit.MILLISECONDS);
        channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(copy.toWire()), server)).addListener(sent -> {
            if (!sent.isSuccess() && pending.remove(id, entry)) {
                attempt(query, serverIndex + 1, answer);
            }
        });
    }

    private int newId() {
        int id;
        do {
            id = IDS.nextInt(0x10000);
        } while (pending.containsKey(id));
        return id;
    }

    private void received(DatagramPacket packet) {
        Message response;
        try {
            response = new Message(ByteBufUtil.getBytes(packet.content()));
        } catch (IOException e) {
            return;
        }
        Pending entry = pending.get(response.getHeader().getID());
        if (entry == null || !entry.server.equals(packet.sender())
            || response.getQuestion() == null || !response.getQuestion().equals(entry.query.getQuestion())) {
            return;
        }
        if (pending.remove(response.getHeader().getID(), entry)) {
            entry.answer.complete(response);
        }
    }

    private static final class Pending {
        private final InetSocketAddress server;
        private final Message query;
        private final CompletableFuture<Message> answer;

        Pending(InetSocketAddress server, Message query, CompletableFuture<Message> answer) {
            this.server = server;
            this.query = query;
            this.answer = answer;
        }
    }
}
