package org.policyrouter.spool;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;

import org.policyrouter.core.QueueIds;

/**
 * File names in the spool. Names from outside (James mail names, WebAdmin keys) never become
 * paths as they are: a name made only of harmless characters is kept readable, anything else is
 * hex-encoded, and over-long names are hashed (the envelope keeps the real name).
 */
final class SpoolNames {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._!+=@-]{0,119}");

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

    /** A new record id (see {@link QueueIds}). */
    static String newQueueId() {
        return QueueIds.next();
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
