package org.policyrouter.mailets;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import com.sun.mail.smtp.SMTPMessage;

/**
 * What the SMTP client sends: the mail's header lines as they are now, then its body streamed
 * byte for byte from James's storage. Sending the James message directly would let JavaMail and
 * James "save changes" on the way (adding MIME-Version/Date/Message-ID, re-encoding
 * quoted-printable to 8bit), and would not stream a large body.
 */
final class StreamedMessage extends SMTPMessage {
    private static final byte[] CRLF = {'\r', '\n'};
    private final MimeMessage original;

    StreamedMessage(Session session, MimeMessage original) {
        super(session);
        this.original = original;
    }

    @Override
    public void writeTo(OutputStream out, String[] ignoreList) throws IOException, MessagingException {
        Enumeration<String> headerLines = original.getNonMatchingHeaderLines(ignoreList == null ? new String[0] : ignoreList);
        while (headerLines.hasMoreElements()) {
            // header lines are ASCII on the wire, or UTF-8 where the client used SMTPUTF8-style raw bytes
            out.write(headerLines.nextElement().getBytes(StandardCharsets.UTF_8));
            out.write(CRLF);
        }
        out.write(CRLF);
        try (InputStream body = original.getRawInputStream()) {
            body.transferTo(out);
        }
        out.flush();
    }

    @Override
    public int getSize() throws MessagingException {
        return original.getSize();
    }
}
