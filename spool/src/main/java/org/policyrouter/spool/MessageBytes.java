package org.policyrouter.spool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.server.core.MimeMessageWrapper;

/**
 * A James message's bytes as they are now, for storing and for handing on (SMTP, pipes, MDAs):
 * byte for byte as received when nothing changed, never "saved" by JavaMail on the way (which
 * would add MIME-Version, Date and Message-ID). A message the spool handed out
 * ({@link SpooledMessage}) knows its received bytes; James's own message is copied from its
 * source while unmodified, else its current header lines and its body as stored.
 */
public final class MessageBytes {
    private MessageBytes() {
    }

    public static void writeTo(MimeMessage message, OutputStream out, String... ignoreHeaders) throws IOException, MessagingException {
        String[] ignore = ignoreHeaders == null ? new String[0] : ignoreHeaders;
        if (message instanceof SpooledMessage) {
            message.writeTo(out, ignore);
        } else if (message instanceof MimeMessageWrapper && !((MimeMessageWrapper) message).isBodyModified()) {
            MimeMessageWrapper wrapper = (MimeMessageWrapper) message;
            if (!wrapper.isModified() && !hasAnyOf(wrapper, ignore)) {
                try (InputStream raw = wrapper.getMessageInputStream()) {
                    raw.transferTo(out);
                }
            } else {
                SpooledMessage.writeHeaderLines(wrapper.getNonMatchingHeaderLines(ignore), out);
                try (InputStream body = wrapper.getRawInputStream()) {
                    body.transferTo(out);
                }
            }
        } else {
            message.writeTo(out, ignore);
        }
        out.flush();
    }

    static byte[] toByteArray(MimeMessage message, long sizeHint) throws IOException, MessagingException {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(1024, Math.min(sizeHint + 64, Integer.MAX_VALUE - 64)));
        writeTo(message, out);
        return out.toByteArray();
    }

    static boolean hasAnyOf(MimeMessage message, String[] headers) throws MessagingException {
        for (String header : headers) {
            if (message.getHeader(header) != null) {
                return true;
            }
        }
        return false;
    }
}
