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
    /** Bigger than any sane table of 100,000+ rules; protects the heap from a mistaken file. */
    public static final long MAX_FILE_BYTES = 256L * 1024 * 1024;
    public static final int MAX_LINE_CHARS = 8192;

    private PolicyFileReader() {
    }

    /**
     * @param errors receives one {@link PolicyError} per unreadable line
     * @return the meaningful lines; lines in error are left out
     */
    public static List<PolicyLine> read(Path file, String displayName, PolicyErrors errors) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) Math.min(MAX_FILE_BYTES + 1, Integer.MAX_VALUE - 8));
        }
        if (bytes.length > MAX_FILE_BYTES) {
            errors.add(new PolicyError(displayName, 1, "file is larger than " + MAX_FILE_BYTES + " bytes"));
            return List.of();
        }
        return split(bytes, displayName, errors);
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
