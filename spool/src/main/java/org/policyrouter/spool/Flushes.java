package org.policyrouter.spool;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the operator's flushes of the spool ({@code postqueue -f}): a flush also means "try the
 * next hops you gave up on for a while now", as Postfix's flush clears the queue manager's dead
 * destinations. A delivery agent that suspends a host records the count and stops honouring the
 * suspension once it has changed.
 */
public final class Flushes {
    private static final AtomicLong COUNT = new AtomicLong();

    private Flushes() {
    }

    public static long count() {
        return COUNT.get();
    }

    /** Called by each flush of a spool queue. */
    public static void happened() {
        COUNT.incrementAndGet();
    }
}
