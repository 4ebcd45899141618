package org.policyrouter.spool;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

import org.apache.james.server.core.MimeMessageSource;

/** The raw message read back from a spool file, served to James's lazily parsing MimeMessageWrapper. */
final class ByteArrayMessageSource implements MimeMessageSource {
    private final String sourceId;
    private final byte[] message;

    ByteArrayMessageSource(String sourceId, byte[] message) {
        this.sourceId = sourceId;
        this.message = message;
    }

    @Override
    public String getSourceId() {
        return sourceId;
    }

    @Override
    public InputStream getInputStream() {
        return new ByteArrayInputStream(message);
    }

    @Override
    public long getMessageSize() {
        return message.length;
    }
}
