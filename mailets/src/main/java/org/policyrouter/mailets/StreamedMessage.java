package org.policyrouter.mailets;

import java.io.IOException;
import java.io.OutputStream;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.policyrouter.spool.MessageBytes;

import com.sun.mail.smtp.SMTPMessage;

/**
 * What the SMTP client sends: the mail's header lines as they are now, then its body streamed
 * byte for byte from James's storage. Sending the James message directly would let JavaMail and
 * James "save changes" on the way (adding MIME-Version/Date/Message-ID, re-encoding
 * quoted-printable to 8bit), and would not stream a large body.
 */
final class StreamedMessage extends SMTPMessage {
    private final MimeMessage original;
    private final RelayConnection connection;

    StreamedMessage(Session session, MimeMessage original, RelayConnection connection) {
        super(session);
        this.original = original;
        this.connection = connection;
    }

    @Override
    public void writeTo(OutputStream out, String[] ignoreList) throws IOException, MessagingException {
        MessageBytes.writeTo(original, connection.watched(out), ignoreList);
    }

    @Override
    public int getSize() throws MessagingException {
        return original.getSize();
    }
}
