package org.policyrouter.spool;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * One spool file: a fixed-size header line with the two lengths, the envelope (JSON), the raw
 * message, and a checksum trailer.
 *
 * <pre>
 * PRSPOOL1 0000000000000123 0000000000001400\n      header: envelope and message lengths (hex)
 * {"name":"…","sender":"…",…}                        envelope
 * Received: …\r\n…                                   message, byte for byte as received
 * \nCRC32C 1a2b3c4d\n                                trailer over envelope + message
 * </pre>
 *
 * The lengths let the index read only the envelope (no body in memory) and spot a truncated file
 * from its size alone; the checksum catches everything else when the whole file is read.
 */
final class SpoolFileFormat {
    static final String MAGIC = "PRSPOOL1";
    static final int HEADER_LENGTH = MAGIC.length() + 1 + 16 + 1 + 16 + 1;
    static final int TRAILER_LENGTH = "\nCRC32C ".length() + 8 + 1;

    private SpoolFileFormat() {
    }

    /** Writes the whole record; the caller fsyncs. The message is streamed, never buffered whole. */
    static void write(FileChannel channel, byte[] envelope, MessageWriter message) throws IOException {
        channel.write(ByteBuffer.wrap(new byte[HEADER_LENGTH]));
        CRC32C crc = new CRC32C();
        crc.update(envelope);
        channel.write(ByteBuffer.wrap(envelope));
        CountingChecksumStream body = new CountingChecksumStream(Channels.newOutputStream(channel), crc);
        OutputStream buffered = new java.io.BufferedOutputStream(body, 64 * 1024);
        message.writeTo(buffered);
        buffered.flush();
        channel.write(ByteBuffer.wrap(trailer(crc)));
        channel.write(ByteBuffer.wrap(header(envelope.length, body.count)), 0);
    }

    /** The whole record in memory, after {@code headroom} free bytes (room for a journal frame). */
    static byte[] encode(byte[] envelope, byte[] message, int headroom) {
        byte[] record = new byte[headroom + HEADER_LENGTH + envelope.length + message.length + TRAILER_LENGTH];
        int position = headroom;
        System.arraycopy(header(envelope.length, message.length), 0, record, position, HEADER_LENGTH);
        position += HEADER_LENGTH;
        System.arraycopy(envelope, 0, record, position, envelope.length);
        position += envelope.length;
        System.arraycopy(message, 0, record, position, message.length);
        position += message.length;
        CRC32C crc = new CRC32C();
        crc.update(envelope);
        crc.update(message);
        System.arraycopy(trailer(crc), 0, record, position, TRAILER_LENGTH);
        return record;
    }

    /** Reads and verifies a record held in memory; {@code source} names where it came from. */
    static Record decode(byte[] record, Path source) throws CorruptSpoolFileException {
        if (record.length < HEADER_LENGTH + TRAILER_LENGTH) {
            throw new CorruptSpoolFileException(source, "truncated: " + record.length + " bytes");
        }
        long[] lengths = parseHeader(Arrays.copyOf(record, HEADER_LENGTH), record.length, source);
        int envelopeEnd = HEADER_LENGTH + (int) lengths[0];
        int messageEnd = envelopeEnd + (int) lengths[1];
        return verified(Arrays.copyOfRange(record, HEADER_LENGTH, envelopeEnd), Arrays.copyOfRange(record, envelopeEnd, messageEnd),
            Arrays.copyOfRange(record, messageEnd, record.length), source);
    }

    /** Reads the envelope only, after checking that the file has exactly the size its header announces. */
    static byte[] readEnvelope(Path file) throws IOException, CorruptSpoolFileException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long[] lengths = readHeader(channel, file);
            return readFully(channel, HEADER_LENGTH, (int) lengths[0], file);
        }
    }

    /**
     * Where the message is in a file ({offset, length}), after checking that the file has exactly
     * the size its header announces: a large body is streamed from there, never loaded whole.
     */
    static long[] messageRange(Path file) throws IOException, CorruptSpoolFileException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long[] lengths = readHeader(channel, file);
            return new long[] {HEADER_LENGTH + lengths[0], lengths[1]};
        }
    }

    /** Reads and verifies the whole record. */
    static Record read(Path file) throws IOException, CorruptSpoolFileException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long[] lengths = readHeader(channel, file);
            if (lengths[1] > Integer.MAX_VALUE - 64) {
                throw new CorruptSpoolFileException(file, "message too large to load: " + lengths[1] + " bytes");
            }
            byte[] envelope = readFully(channel, HEADER_LENGTH, (int) lengths[0], file);
            byte[] message = readFully(channel, HEADER_LENGTH + lengths[0], (int) lengths[1], file);
            byte[] trailer = readFully(channel, HEADER_LENGTH + lengths[0] + lengths[1], TRAILER_LENGTH, file);
            return verified(envelope, message, trailer, file);
        }
    }

    private static Record verified(byte[] envelope, byte[] message, byte[] trailer, Path file) throws CorruptSpoolFileException {
        CRC32C crc = new CRC32C();
        crc.update(envelope);
        crc.update(message);
        if (!Arrays.equals(trailer(crc), trailer)) {
            throw new CorruptSpoolFileException(file, "checksum mismatch");
        }
        return new Record(envelope, message);
    }

    private static byte[] trailer(CRC32C crc) {
        byte[] trailer = "\nCRC32C 00000000\n".getBytes(StandardCharsets.US_ASCII);
        putHex(trailer, 8, 8, crc.getValue());
        return trailer;
    }

    private static byte[] header(long envelopeLength, long messageLength) {
        byte[] header = (MAGIC + " 0000000000000000 0000000000000000\n").getBytes(StandardCharsets.US_ASCII);
        putHex(header, MAGIC.length() + 1, 16, envelopeLength);
        putHex(header, MAGIC.length() + 18, 16, messageLength);
        return header;
    }

    /** Lower-case hex, as the format has always been written. */
    private static void putHex(byte[] target, int offset, int digits, long value) {
        for (int i = offset + digits - 1; i >= offset; i--) {
            target[i] = (byte) Character.forDigit((int) (value & 0xF), 16);
            value >>>= 4;
        }
    }

    private static long[] readHeader(FileChannel channel, Path file) throws IOException, CorruptSpoolFileException {
        long size = channel.size();
        if (size < HEADER_LENGTH + TRAILER_LENGTH) {
            throw new CorruptSpoolFileException(file, "truncated: " + size + " bytes");
        }
        return parseHeader(readFully(channel, 0, HEADER_LENGTH, file), size, file);
    }

    private static long[] parseHeader(byte[] headerBytes, long size, Path file) throws CorruptSpoolFileException {
        String header = new String(headerBytes, StandardCharsets.US_ASCII);
        if (!header.startsWith(MAGIC + " ") || header.charAt(HEADER_LENGTH - 1) != '\n') {
            throw new CorruptSpoolFileException(file, "not a spool file (bad header)");
        }
        long envelopeLength;
        long messageLength;
        try {
            envelopeLength = Long.parseUnsignedLong(header.substring(MAGIC.length() + 1, MAGIC.length() + 17), 16);
            messageLength = Long.parseUnsignedLong(header.substring(MAGIC.length() + 18, MAGIC.length() + 34), 16);
        } catch (NumberFormatException e) {
            throw new CorruptSpoolFileException(file, "bad header lengths");
        }
        if (envelopeLength > 64L * 1024 * 1024 || messageLength < 0
            || HEADER_LENGTH + envelopeLength + messageLength + TRAILER_LENGTH != size) {
            throw new CorruptSpoolFileException(file, "size " + size + " does not match its header (truncated or overwritten)");
        }
        return new long[] {envelopeLength, messageLength};
    }

    private static byte[] readFully(FileChannel channel, long position, int length, Path file) throws IOException, CorruptSpoolFileException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new CorruptSpoolFileException(file, "truncated");
            }
        }
        return buffer.array();
    }

    /** The message part of a record, written by the caller (e.g. {@code MimeMessage::writeTo}). */
    @FunctionalInterface
    interface MessageWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    static final class Record {
        final byte[] envelope;
        final byte[] message;

        Record(byte[] envelope, byte[] message) {
            this.envelope = envelope;
            this.message = message;
        }
    }

    /** Counts and checksums the message bytes on their way to the file. */
    private static final class CountingChecksumStream extends OutputStream {
        private final OutputStream out;
        private final CRC32C crc;
        private long count;

        CountingChecksumStream(OutputStream out, CRC32C crc) {
            this.out = out;
            this.crc = crc;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            crc.update(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            crc.update(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
