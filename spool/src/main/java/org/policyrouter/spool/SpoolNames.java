package org.policyrouter.spool;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * File names in the spool. Names from outside (James mail names, WebAdmin keys) never become
 * paths as they are: a name made only of harmless characters is kept readable, anything else is
 * hex-encoded, and over-long names are hashed (the envelope keeps the real name).
 */
final class SpoolNames {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._!+=@-]{0,119}");
    private static final AtomicLong COUNTER = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NODE = RANDOM.nextInt(0x10000);
    private static final char[] HEX_DIGITS = "0123456789ABCDEF".toCharArray();

    private SpoolNames() {
    }

    /** The file name for a repository key. Hex and hashed names start with '~', which SAFE never does. */
    static String forKey(String key) {
        if (SAFE.matcher(key).matches()) {
            return key;
        }
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= 60) {
            return "~" + hex(bytes);
        }
        return "~h" + hex(sha256(bytes));
    }

    /**
     * A new queue id: time-ordered (so a directory listing sorts in arrival order), unique in this
     * process (counter) and across processes sharing a clock (random node part).
     */
    static String newQueueId() {
        return queueId(System.currentTimeMillis(), COUNTER.incrementAndGet(), NODE);
    }

    /** 11 hex digits of time, 6 of counter, 4 of node; built by hand: one is made per SMTP 250. */
    static String queueId(long millis, long counter, int node) {
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

    /** Guards every name the spool turns into a path. */
    static String checked(String fileName) {
        if (!(SAFE.matcher(fileName).matches() || fileName.matches("~[0-9a-fh]{1,130}"))) {
            throw new IllegalArgumentException("not a spool file name: " + fileName);
        }
        return fileName;
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            out.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return out.toString();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
