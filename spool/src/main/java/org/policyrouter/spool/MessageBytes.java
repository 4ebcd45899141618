package org.policyrouter.spool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.server.core.MimeMessageWrapper;

/**
 * A mail's message as the spool stores it. A message nobody changed since SMTP received it is
 * copied byte for byte from James's storage (no header parsing, nothing "saved"); a changed one is
 * written by JavaMail.
 */
final class MessageBytes {
    private MessageBytes() {
    }

    static void writeTo(MimeMessage message, OutputStream out) throws IOException, MessagingException {
        if (message instanceof MimeMessageWrapper && !((MimeMessageWrapper) message).isModified()) {
            try (InputStream raw = ((MimeMessageWrapper) message).getMessageInputStream()) {
                raw.transferTo(out);
            }
        } else {
            message.writeTo(out);
        }
    }

    static byte[] toByteArray(MimeMessage message, long sizeHint) throws IOException, MessagingException {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(1024, Math.min(sizeHint + 64, Integer.MAX_VALUE - 64)));
        writeTo(message, out);
        return out.toByteArray();
    }
}
