package org.policyrouter.hooks.state;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;

/**
 * The shared state in Redis, with Lettuce (the client James's own Redis modules use; its Netty and
 * Reactor are James's): one multiplexed connection, every command asynchronous, so a caller never
 * waits on a socket. Every key has a time to live, so nothing needs sweeping:
 * <ul>
 * <li>{@code <prefix>:grey:<triplet>} = {@code seen blocked passed expires}, expiring with the record;</li>
 * <li>{@code <prefix>:count:<key>:<window ms>:<window index>}: INCRBY, and a TTL to the window's end set
 *     by the same script, so the two cannot be separated by a crash;</li>
 * <li>{@code <prefix>:slots:<key>}: a sorted set of slot ids scored by their expiry; one script drops
 *     the expired, adds or refreshes the slot and counts.</li>
 * </ul>
 * Scripts run by their SHA1 and are sent again when Redis answers NOSCRIPT (a restarted server).
 * Commands time out after {@code timeout}; while the connection is down they are refused at once
 * rather than queued, and Lettuce reconnects by itself (100 ms to 2 s apart), so the same store works
 * again once Redis is back. A server unreachable at start stops the start, naming it without its
 * password.
 */
public final class RedisStateStore implements StateStore {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private static final String ADD_TO_WINDOW = "local total = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
        + "if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n"
        + "return total";
    private static final String OPEN_SLOT = "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])\n"
        + "redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])\n"
        + "redis.call('PEXPIRE', KEYS[1], ARGV[4])\n"
        + "return redis.call('ZCARD', KEYS[1])";

    private final String description;
    private final String prefix;
    private final LongSupplier clock;
    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> commands;
    private final String addToWindowSha;
    private final String openSlotSha;

    public RedisStateStore(String redisUrl, String keyPrefix, Duration timeout, LongSupplier clock) {
        RedisURI uri = RedisURI.create(redisUrl);
        this.description = "redis " + (uri.isSsl() ? "rediss" : "redis") + "://" + uri.getHost() + ":" + uri.getPort() + "/" + uri.getDatabase();
        this.prefix = keyPrefix;
        this.clock = clock;
        uri.setTimeout(timeout);
        AtomicInteger threads = new AtomicInteger();
        this.resources = DefaultClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .threadFactoryProvider(pool -> runnable -> {
                Thread thread = new Thread(runnable, "policyrouter-redis-" + threads.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            })
            .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
            .build();
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .requestQueueSize(10_000)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).keepAlive(true).build())
            .build());
        try {
            this.connection = client.connect(StringCodec.UTF8, uri);
            this.commands = connection.async();
            this.addToWindowSha = connection.sync().scriptLoad(ADD_TO_WINDOW);
            this.openSlotSha = connection.sync().scriptLoad(OPEN_SLOT);
        } catch (RuntimeException e) {
            close();
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("state store " + description + ": cannot connect: " + cause.getMessage(), e);
        }
    }

    @Override
    public CompletableFuture<Optional<GreylistRecord>> findTriplet(String key) {
        long now = clock.getAsLong();
        return commands.get(prefix + ":grey:" + key).toCompletableFuture().thenApply(value -> parse(value).filter(record -> record.expiresAtMillis() > now));
    }

    @Override
    public CompletableFuture<Void> saveTriplet(String key, GreylistRecord record) {
        long ttl = record.expiresAtMillis() - clock.getAsLong();
        String name = prefix + ":grey:" + key;
        if (ttl <= 0) {
            return commands.del(name).toCompletableFuture().thenApply(deleted -> null);
        }
        String value = record.timestampMillis() + " " + record.blocked() + " " + record.passed() + " " + record.expiresAtMillis();
        return commands.set(name, value, SetArgs.Builder.px(ttl)).toCompletableFuture().thenApply(ok -> null);
    }

    @Override
    public CompletableFuture<Long> addToWindow(String key, long amount, Duration window) {
        long now = clock.getAsLong();
        long length = window.toMillis();
        long index = now / length;
        long untilEnd = (index + 1) * length - now;
        String name = prefix + ":count:" + key + ":" + length + ":" + index;
        // the counter outlives its window a little: a node whose clock is behind still finds it
        return script(addToWindowSha, ADD_TO_WINDOW, name, String.valueOf(amount), String.valueOf(untilEnd + 1000));
    }

    @Override
    public CompletableFuture<Integer> openSlot(String key, String slotId, Duration ttl) {
        long now = clock.getAsLong();
        return script(openSlotSha, OPEN_SLOT, prefix + ":slots:" + key, String.valueOf(now), String.valueOf(now + ttl.toMillis()),
            slotId, String.valueOf(ttl.toMillis())).thenApply(Long::intValue);
    }

    @Override
    public CompletableFuture<Void> closeSlot(String key, String slotId) {
        return commands.zrem(prefix + ":slots:" + key, slotId).toCompletableFuture().thenApply(removed -> null);
    }

    /** EVALSHA, or EVAL once more when the server lost its scripts (restarted): the SHA stays the same. */
    private CompletableFuture<Long> script(String sha, String source, String key, String... arguments) {
        String[] keys = {key};
        CompletableFuture<Long> bySha = commands.<Long>evalsha(sha, ScriptOutputType.INTEGER, keys, arguments).toCompletableFuture();
        return bySha.handle((total, error) -> error == null ? CompletableFuture.completedFuture(total)
            : noScript(error) ? commands.<Long>eval(source, ScriptOutputType.INTEGER, keys, arguments).toCompletableFuture()
            : CompletableFuture.<Long>failedFuture(error)).thenCompose(next -> next);
    }

    private static boolean noScript(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
        return cause instanceof RedisNoScriptException;
    }

    private static Optional<GreylistRecord> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String[] fields = value.split(" ");
        try {
            return Optional.of(new GreylistRecord(Long.parseLong(fields[0]), Integer.parseInt(fields[1]),
                Integer.parseInt(fields[2]), Long.parseLong(fields[3])));
        } catch (RuntimeException e) {
            // a value this store did not write: the triplet is taken as unknown
            return Optional.empty();
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        if (connection != null) {
            connection.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
