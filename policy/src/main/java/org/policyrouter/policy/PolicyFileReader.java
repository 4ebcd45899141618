package org.policyrouter.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a policy file into lines of fields: {@code #} starts a comment, blank lines are
 * skipped. Binary, non-UTF-8 or oversized input becomes errors, never an exception or a
 * half-read table.
 */
public final class PolicyFileReader {
    /**
     * The default limit on one table file. Loading costs about 20 times the file's size in heap at
     * its peak and keeps about 6 times (measured: a 32 MiB transport table of 825,000 rules needs
     * 640 MiB to load and keeps 181 MiB), and a reload holds the old tables while it builds the new
     * ones: with James's default 1 GiB heap a bare JVM reloads a 40 MiB table and runs out of heap
     * at 48 MiB. 16 MiB (about 400,000 rules) leaves the server more than half of its heap for mail
     * during a reload. See docs/policy-language.md, "Size limit".
     */
    public static final long DEFAULT_MAX_TABLE_BYTES = 16L * 1024 * 1024;
    public static final int MAX_LINE_CHARS = 8192;

    private PolicyFileReader() {
    }

    /** {@link #read(Path, String, PolicyErrors, long)} with the default size limit. */
    public static List<PolicyLine> read(Path file, String displayName, PolicyErrors errors) throws IOException {
        return read(file, displayName, errors, DEFAULT_MAX_TABLE_BYTES);
    }

    /**
     * @param errors receives one {@link PolicyError} per unreadable line
     * @param maxBytes a bigger file is refused with an error naming its size, before any of it is
     *     read: a table the heap cannot hold must not take the server (and its DNS threads) down
     * @return the meaningful lines; lines in error are left out
     */
    public static List<PolicyLine> read(Path file, String displayName, PolicyErrors errors, long maxBytes) throws IOException {
        long size = Files.size(file);
        if (size > maxBytes) {
            errors.add(new PolicyError(displayName, 1, tooLarge(size, maxBytes)));
            return List.of();
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            // the file may grow between the size check and the read
            bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
        }
        if (bytes.length > maxBytes) {
            errors.add(new PolicyError(displayName, 1, tooLarge(bytes.length, maxBytes)));
            return List.of();
        }
        return split(bytes, displayName, errors);
    }

    private static String tooLarge(long size, long maxBytes) {
        return "file is " + ByteSize.describe(size) + ", larger than the limit of " + ByteSize.describe(maxBytes)
            + " per table (maxTableSize): not read";
    }

    static List<PolicyLine> split(byte[] bytes, String displayName, PolicyErrors errors) {
        List<PolicyLine> lines = new ArrayList<>();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        int number = 0;
        int start = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            number++;
            parseLine(decoder, bytes, start, end, number, displayName, errors, lines);
            start = end + 1;
        }
        return lines;
    }

    private static void parseLine(CharsetDecoder decoder, byte[] bytes, int start, int end, int number, String displayName,
                                  PolicyErrors errors, List<PolicyLine> lines) {
        // a UTF-8 character is at most 4 bytes: longer lines are refused before decoding a huge String
        if (end - start > 4 * MAX_LINE_CHARS) {
            errors.add(new PolicyError(displayName, number, "line is longer than " + MAX_LINE_CHARS + " characters"));
            return;
        }
        String text;
        try {
            text = decoder.reset().decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
        } catch (CharacterCodingException e) {
            errors.add(new PolicyError(displayName, number, "line is not valid UTF-8 text"));
            return;
        }
        if (text.length() > MAX_LINE_CHARS) {
            errors.add(new PolicyError(displayName, number, "line is longer than " + MAX_LINE_CHARS + " characters"));
            return;
        }
        String content = stripComment(text).strip();
        if (content.isEmpty()) {
            return;
        }
        if (content.chars().anyMatch(c -> c < ' ' && c != '\t' && c != '\r')) {
            errors.add(new PolicyError(displayName, number, "line contains control characters"));
            return;
        }
        lines.add(new PolicyLine(number, content));
    }

    /** A '#' starts a comment at the start of a line or after white space, so regexes may hold one. */
    private static String stripComment(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '#' && (i == 0 || Character.isWhitespace(text.charAt(i - 1)))) {
                return text.substring(0, i);
            }
        }
        return text;
    }
}
