package org.policyrouter.mailets;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.util.concurrent.ThreadFactoryBuilder;

/**
 * Breaks a write that a peer has not taken for {@code limit}: a socket's SO_TIMEOUT bounds reads
 * only, and a peer that stops reading leaves a blocking write hanging for ever. One thread checks
 * every 250 ms and runs the stuck watch's abort (closing its socket, so that the write fails with
 * an I/O error). The SMTP relay client and the QMQP client share it; a client may give it a
 * chore of its own to run on the same thread (the relay cache's idle connections).
 */
final class WriteWatchdog implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.delivery");

    private final Duration limit;
    private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService thread;
    private final Runnable chore;

    WriteWatchdog(String threadName, Duration limit) {
        this(threadName, limit, () -> { });
    }

    /** @param chore also run every 250 ms, after the check of the writes */
    WriteWatchdog(String threadName, Duration limit, Runnable chore) {
        this.limit = limit;
        this.chore = chore;
        this.thread = Executors.newSingleThreadScheduledExecutor(new ThreadFactoryBuilder().setNameFormat(threadName).setDaemon(true).build());
        thread.scheduleWithFixedDelay(this::sweep, 250, 250, TimeUnit.MILLISECONDS);
    }

    /** Watches the writes of one connection until {@link Watch#close()}; {@code abort} must break them. */
    Watch watch(String peer, Runnable abort) {
        Watch watch = new Watch(peer, abort);
        watches.add(watch);
        return watch;
    }

    private void sweep() {
        try {
            breakStuckWrites();
            chore.run();
        } catch (RuntimeException e) {
            // the thread must go on: a scheduled task that throws is never run again
            LOGGER.error("write watchdog: {}", e.toString());
        }
    }

    private void breakStuckWrites() {
        long now = System.nanoTime();
        for (Watch watch : watches) {
            long started = watch.writeStartedAt;
            if (started != 0 && now - started > limit.toNanos() && !watch.fired) {
                LOGGER.warn("{}: the peer took no data for {}: connection closed", watch.peer, limit);
                watch.fired = true;
                try {
                    watch.abort.run();
                } catch (RuntimeException e) {
                    LOGGER.error("{}: aborting a stuck write: {}", watch.peer, e.toString());
                }
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }

    final class Watch implements AutoCloseable {
        private final String peer;
        private final Runnable abort;
        /** {@link System#nanoTime()} when the write now in progress started; 0 when none is. */
        private volatile long writeStartedAt;
        private volatile boolean fired;

        private Watch(String peer, Runnable abort) {
            this.peer = peer;
            this.abort = abort;
        }

        /** Writes through here are timed. */
        OutputStream timed(OutputStream out) {
            return new FilterOutputStream(out) {
                @Override
                public void write(int b) throws IOException {
                    writeStartedAt = System.nanoTime();
                    try {
                        out.write(b);
                    } finally {
                        writeStartedAt = 0;
                    }
                }

                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    writeStartedAt = System.nanoTime();
                    try {
                        out.write(bytes, offset, length);
                    } finally {
                        writeStartedAt = 0;
                    }
                }
            };
        }

        /** Whether the watchdog broke a write: the I/O error that followed is its doing, not the peer's. */
        boolean fired() {
            return fired;
        }

        Duration limit() {
            return limit;
        }

        @Override
        public void close() {
            watches.remove(this);
        }
    }
}
