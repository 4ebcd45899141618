package org.policyrouter.spool;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

import javax.mail.MessagingException;

import org.apache.james.server.core.MimeMessageSource;
import org.apache.james.server.core.MimeMessageWrapper;

/** The raw message read back from a spool file, served to James's lazily parsing MimeMessageWrapper. */
final class ByteArrayMessageSource implements MimeMessageSource {
    private final String sourceId;
    private final byte[] message;

    ByteArrayMessageSource(String sourceId, byte[] message) {
        this.sourceId = sourceId;
        this.message = message;
    }

    /** The spooled bytes as James's lazily parsed message. */
    static MimeMessageWrapper message(String sourceId, byte[] message) throws MessagingException {
        return new MimeMessageWrapper(new ByteArrayMessageSource(sourceId, message));
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
