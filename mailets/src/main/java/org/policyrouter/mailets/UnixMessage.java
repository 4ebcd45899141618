package org.policyrouter.mailets;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Mail;
import org.policyrouter.spool.MessageBytes;

/**
 * The message as Unix programs and qmail's formats hold it (pipes, MDAs, qmail-queue, Maildir,
 * QMQP): the bytes as received, each CRLF an LF.
 */
final class UnixMessage {
    private UnixMessage() {
    }

    /** Writes the message to {@code out}, which stays open. */
    static void writeTo(Mail mail, OutputStream out) throws IOException {
        try {
            writeTo(mail.getMessage(), out);
        } catch (MessagingException e) {
            throw new IOException(e);
        }
    }

    /** As {@link #writeTo(Mail, OutputStream)}, JavaMail's errors as they come (an I/O error of {@code out} may be inside). */
    static void writeTo(MimeMessage message, OutputStream out) throws IOException, MessagingException {
        // closing the converter writes a CR that ended the message; out itself stays open
        try (OutputStream unix = UnixLineEnds.of(new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        })) {
            MessageBytes.writeTo(message, unix);
        }
    }
}
