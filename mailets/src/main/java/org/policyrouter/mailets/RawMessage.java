package org.policyrouter.mailets;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

/**
 * Writes a mail's message as delivery agents hand it on: its header lines as they are now, then
 * the body streamed byte for byte from James's storage. {@code MimeMessage.writeTo} would let
 * James "save changes" first (adding MIME-Version, Date, Message-ID) and may load the body.
 */
final class RawMessage {
    private static final byte[] CRLF = {'\r', '\n'};

    private RawMessage() {
    }

    static void writeTo(MimeMessage message, OutputStream out, String[] ignoreHeaders) throws IOException, MessagingException {
        Enumeration<String> headerLines = message.getNonMatchingHeaderLines(ignoreHeaders == null ? new String[0] : ignoreHeaders);
        while (headerLines.hasMoreElements()) {
            out.write(headerLines.nextElement().getBytes(StandardCharsets.UTF_8));
            out.write(CRLF);
        }
        out.write(CRLF);
        try (InputStream body = message.getRawInputStream()) {
            body.transferTo(out);
        }
        out.flush();
    }

    /** Unix programs (pipes, maildrop, procmail) expect LF line ends, as Postfix's pipe gives them. */
    static OutputStream unixLineEnds(OutputStream out) {
        return new FilterOutputStream(out) {
            private boolean pendingCr;

            @Override
            public void write(int b) throws IOException {
                if (pendingCr && b != '\n') {
                    out.write('\r');
                }
                pendingCr = b == '\r';
                if (!pendingCr) {
                    out.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int i = off; i < off + len; i++) {
                    write(b[i]);
                }
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                if (pendingCr) {
                    out.write('\r');
                    pendingCr = false;
                }
                super.close();
            }
        };
    }
}
