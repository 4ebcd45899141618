package org.policyrouter.spool;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.apache.james.server.core.MimeMessageSource;

import com.google.common.io.ByteStreams;

/**
 * A message body as the spool stored it, immutable, served to James's lazily parsing
 * MimeMessageWrapper: bytes in memory (journal bodies, at most 64 KiB) or a range of a file in
 * {@code bodies/}, opened for each read. Several mails (a message's copies) may share one.
 */
final class SpoolBodySource implements MimeMessageSource {
    private final String storeId;
    private final String bodyId;
    private final byte[] bytes;
    private final Path file;
    private final long offset;
    private final long length;

    private SpoolBodySource(String storeId, String bodyId, byte[] bytes, Path file, long offset, long length) {
        this.storeId = storeId;
        this.bodyId = bodyId;
        this.bytes = bytes;
        this.file = file;
        this.offset = offset;
        this.length = length;
    }

    static SpoolBodySource inMemory(String storeId, String bodyId, byte[] bytes) {
        return new SpoolBodySource(storeId, bodyId, bytes, null, 0, bytes.length);
    }

    static SpoolBodySource inFile(String storeId, String bodyId, Path file, long offset, long length) {
        return new SpoolBodySource(storeId, bodyId, null, file, offset, length);
    }

    /** The spool instance that stored it: a body id means something only there. */
    String storeId() {
        return storeId;
    }

    String bodyId() {
        return bodyId;
    }

    /** The bytes when they are in memory, else null. */
    byte[] bytes() {
        return bytes;
    }

    @Override
    public String getSourceId() {
        return "spool/" + bodyId;
    }

    @Override
    public InputStream getInputStream() throws IOException {
        if (bytes != null) {
            return new ByteArrayInputStream(bytes);
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            channel.position(offset);
            return ByteStreams.limit(Channels.newInputStream(channel), length);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public long getMessageSize() {
        return length;
    }
}
