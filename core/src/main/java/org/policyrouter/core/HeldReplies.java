package org.policyrouter.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The contract between "hold the SMTP 250" and "the queue made the mail durable", so that
 * neither side depends on the other: a queue that must wait before the client may be told 250
 * (the spool's fsync) hands that wait to the SMTP reply handler instead of blocking the Netty I/O
 * thread, and names the queue ID the reply announces. The handler sends the reply once every wait
 * returned, and a 451 instead of a 2xx if one failed.
 *
 * <p>James 3.8 runs message hooks, and so the enqueue, synchronously on the I/O thread that read
 * the end of DATA; the handler opens a scope on that thread around James's processing of the "."
 * line. Outside it (a stock handler chain, a mailet enqueueing) {@link #hold} returns false and
 * the queue waits itself.
 */
public final class HeldReplies {
    /** Blocks until what the reply depends on is done; throws if it failed. */
    @FunctionalInterface
    public interface Wait {
        void await() throws IOException;
    }

    private static final ThreadLocal<Held<?>> OPEN = new ThreadLocal<>();

    private HeldReplies() {
    }

    /**
     * Makes the SMTP reply being prepared on this thread wait for this. Returns false when no reply
     * can wait here: the caller must then wait itself before returning.
     */
    public static boolean hold(Wait wait) {
        Held<?> held = OPEN.get();
        if (held == null) {
            return false;
        }
        held.waits.add(wait);
        return true;
    }

    /** Runs the work with a scope open on this thread (as the SMTP handler does); returns its result and what it held. */
    public static <T> Held<T> during(Supplier<T> work) {
        Held<?> outer = OPEN.get();
        Held<T> held = new Held<>();
        OPEN.set(held);
        try {
            held.result = work.get();
            return held;
        } catch (RuntimeException e) {
            // no reply will be sent by the handler: what was held must still finish
            awaitAll(held.waits, e);
            throw e;
        } finally {
            OPEN.set(outer);
        }
    }

    /** Runs every wait, even after one failed; failures are added to the given exception. */
    public static void awaitAll(List<Wait> waits, Exception failures) {
        for (Wait wait : waits) {
            try {
                wait.await();
            } catch (IOException | RuntimeException e) {
                failures.addSuppressed(e);
            }
        }
    }

    /** The work's result and what its reply must wait for. */
    public static final class Held<T> {
        private T result;
        private final List<Wait> waits = new ArrayList<>(1);

        public T result() {
            return result;
        }

        public List<Wait> waits() {
            return waits;
        }
    }
}
