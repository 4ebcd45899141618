package org.policyrouter.spool;

import java.nio.charset.StandardCharsets;

/**
 * The journal's bytes on disk. A segment file starts with a header line, then holds records, each
 * a frame line followed by a spool-format record ({@link SpoolFileFormat}: envelope, message,
 * CRC32C):
 *
 * <pre>
 * PRJS 9f3c0a17d2e4b851 n\n                                   header: the segment's epoch, n(ew) or r(eused) file
 * PRJ3 9f3c0a17d2e4b851 1A2004B2207000001D466 M 0000000000001400\n   frame: epoch, record id, kind, record length
 * PRSPOOL1 …                                                  the record
 * </pre>
 *
 * The epoch is drawn at random when a file becomes a segment; records of another epoch are what a
 * reused file held before (or bytes written to look like a record, in a message body) and never
 * count. Kind {@code M} is a message record (an envelope and the message body it brought), kind
 * {@code E} an envelope that refers to a body stored elsewhere (a copy, a retry).
 */
final class JournalFormat {
    static final String SEGMENT_PREFIX = "segment-";
    static final String DONE_SUFFIX = ".done";
    /** A finished segment kept for reuse, or a segment being made: recovery reads no {@code spare-…} file. */
    static final String SPARE_PREFIX = "spare-";
    static final String HEADER_MAGIC = "PRJS ";
    static final int HEADER_LENGTH = HEADER_MAGIC.length() + 16 + 3;
    static final String FRAME_MAGIC = "PRJ3 ";
    static final int MAX_FRAME_LINE = 200;

    /** What a record carries. */
    enum Kind {
        /** An envelope and the message body it brought into the spool. */
        MESSAGE('M'),
        /** An envelope whose body is stored elsewhere (named in the envelope). */
        ENVELOPE('E');

        final char code;

        Kind(char code) {
            this.code = code;
        }

        static Kind of(String code) {
            for (Kind kind : values()) {
                if (code.length() == 1 && code.charAt(0) == kind.code) {
                    return kind;
                }
            }
            return null;
        }
    }

    /** A parsed frame line. */
    static final class Frame {
        /** The epoch of the segment the record was written to: another one's when the file was reused since. */
        final long owner;
        final String id;
        final Kind kind;
        final int lineLength;
        final int recordLength;

        Frame(long owner, String id, Kind kind, int lineLength, int recordLength) {
            this.owner = owner;
            this.id = id;
            this.kind = kind;
            this.lineLength = lineLength;
            this.recordLength = recordLength;
        }
    }

    private JournalFormat() {
    }

    static String segmentName(long number) {
        return SEGMENT_PREFIX + hex16(number);
    }

    static byte[] header(long epoch, boolean reused) {
        return (HEADER_MAGIC + hex16(epoch) + " " + (reused ? 'r' : 'n') + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The epoch and file kind from a header line, or null when it is no header. */
    static long[] parseHeader(String text) {
        if (text.length() != HEADER_LENGTH || !text.startsWith(HEADER_MAGIC) || !text.endsWith("\n")
            || text.charAt(HEADER_LENGTH - 3) != ' ' || "nr".indexOf(text.charAt(HEADER_LENGTH - 2)) < 0) {
            return null;
        }
        try {
            long epoch = Long.parseUnsignedLong(text.substring(HEADER_MAGIC.length(), HEADER_MAGIC.length() + 16), 16);
            return new long[] {epoch, text.charAt(HEADER_LENGTH - 2) == 'r' ? 1 : 0};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static byte[] frameLine(long epoch, String id, Kind kind, long recordLength) {
        return (FRAME_MAGIC + hex16(epoch) + " " + id + " " + kind.code + " " + hex16(recordLength) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    static int frameLineLength(String id) {
        return FRAME_MAGIC.length() + 16 + 1 + id.length() + 3 + 16 + 1;
    }

    /**
     * The frame at the start of {@code text} (read at {@code position} of a segment of
     * {@code size} bytes), or null when there is none: the end of the written part, or damage.
     */
    static Frame parseFrame(String text, long position, long size) {
        int end = text.indexOf('\n');
        if (!text.startsWith(FRAME_MAGIC) || end < 0) {
            return null;
        }
        String[] fields = text.substring(FRAME_MAGIC.length(), end).split(" ");
        if (fields.length != 4 || fields[0].length() != 16 || fields[3].length() != 16) {
            return null;
        }
        Kind kind = Kind.of(fields[2]);
        if (kind == null) {
            return null;
        }
        try {
            long owner = Long.parseUnsignedLong(fields[0], 16);
            String id = SpoolNames.checked(fields[1]);
            long length = Long.parseUnsignedLong(fields[3], 16);
            if (length < SpoolFileFormat.HEADER_LENGTH + SpoolFileFormat.TRAILER_LENGTH || length > Integer.MAX_VALUE - 64
                || position + end + 1 + length > size) {
                return null;
            }
            return new Frame(owner, id, kind, end + 1, (int) length);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static String hex16(long value) {
        String hex = Long.toHexString(value);
        return "0".repeat(16 - hex.length()) + hex;
    }
}
