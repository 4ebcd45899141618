package org.policyrouter.core;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Queue IDs: one per message, given at acceptance (the SMTP 250 names it, every log line about the
 * message starts with it, copies are {@code ID.1}, {@code ID.2} …), and one per record the spool
 * writes. Time-ordered, so a listing sorts in arrival order; unique in this process (counter) and
 * across processes sharing a clock (random node part).
 */
public final class QueueIds {
    /** The mail attribute holding a message's queue ID (James attribute name). */
    public static final String ATTRIBUTE = "org.policyrouter.spool.queue-id";

    private static final AtomicLong COUNTER = new AtomicLong();
    private static final int NODE = new SecureRandom().nextInt(0x10000);
    private static final char[] HEX_DIGITS = "0123456789ABCDEF".toCharArray();

    private QueueIds() {
    }

    public static String next() {
        return format(System.currentTimeMillis(), COUNTER.incrementAndGet(), NODE);
    }

    /** 11 hex digits of time, 6 of counter, 4 of node; built by hand: one is made per SMTP 250. */
    static String format(long millis, long counter, int node) {
        char[] id = new char[21];
        putHex(id, 0, 11, millis);
        putHex(id, 11, 6, counter);
        putHex(id, 17, 4, node);
        return new String(id);
    }

    private static void putHex(char[] target, int offset, int digits, long value) {
        for (int i = offset + digits - 1; i >= offset; i--) {
            target[i] = HEX_DIGITS[(int) (value & 0xF)];
            value >>>= 4;
        }
    }
}
