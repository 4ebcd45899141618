package org.policyrouter.hooks.reply;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Lets a message hook that must wait before the client may be told "250" (the spool's fsync)
 * hand that wait to {@link DeferredReplyHandler} instead of blocking the Netty I/O thread: the
 * handler sends the reply once every wait has returned, and a 451 instead of a 2xx if one failed.
 *
 * <p>James 3.8 runs message hooks synchronously on the I/O thread that read the end of DATA, so
 * the handler opens a scope on that thread around James's processing of the "." line; outside it
 * (another James handler chain, a mailet enqueueing) {@link #defer} returns false and the caller
 * waits itself, as before.
 */
public final class DeferredReplies {
    /** Blocks until what the reply depends on is done; throws if it failed. */
    @FunctionalInterface
    public interface Wait {
        void await() throws IOException;
    }

    private static final ThreadLocal<List<Wait>> OPEN = new ThreadLocal<>();

    private DeferredReplies() {
    }

    /**
     * Makes the SMTP reply being prepared on this thread wait for this. Returns false when no reply
     * can wait here: the caller must then wait itself before returning.
     */
    public static boolean defer(Wait wait) {
        List<Wait> waits = OPEN.get();
        if (waits == null) {
            return false;
        }
        waits.add(wait);
        return true;
    }

    /** Runs the work with a scope open on this thread (as the SMTP handler does) and returns the waits deferred during it. */
    public static <T> Deferred<T> during(Supplier<T> work) {
        List<Wait> outer = OPEN.get();
        List<Wait> waits = new ArrayList<>(1);
        OPEN.set(waits);
        try {
            return new Deferred<>(work.get(), waits);
        } catch (RuntimeException e) {
            // no reply will be sent by the handler: what was deferred must still finish
            awaitAll(waits, e);
            throw e;
        } finally {
            OPEN.set(outer);
        }
    }

    /** Runs every wait, even after one failed; failures are added to the given exception. */
    static void awaitAll(List<Wait> waits, Exception failures) {
        for (Wait wait : waits) {
            try {
                wait.await();
            } catch (IOException | RuntimeException e) {
                failures.addSuppressed(e);
            }
        }
    }

    /** The work's result and what its reply must wait for. */
    public static final class Deferred<T> {
        public final T result;
        public final List<Wait> waits;

        Deferred(T result, List<Wait> waits) {
            this.result = result;
            this.waits = waits;
        }
    }
}
