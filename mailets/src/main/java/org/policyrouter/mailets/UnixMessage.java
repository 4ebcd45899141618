package org.policyrouter.mailets;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

import javax.mail.MessagingException;

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
            MessageBytes.writeTo(mail.getMessage(), unix);
        } catch (MessagingException e) {
            throw new IOException(e);
        }
    }
}
