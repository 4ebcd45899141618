package org.policyrouter.spool;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import javax.mail.MessagingException;
import javax.mail.internet.InternetHeaders;

import org.apache.james.server.core.MimeMessageWrapper;

/**
 * A message the spool hands out: James's lazily parsed message over the body as it was received,
 * which writes itself byte for byte as received whenever it still is — whatever flags James set.
 *
 * <p>James's own message writes a message whose headers were touched through JavaMail, which
 * "saves changes" first (adding MIME-Version, Date and Message-ID) and re-encodes header lines;
 * and a mailet such as {@code RemoveMimeHeader} marks the headers touched even when the header it
 * removes was not there. So: when the header lines are the ones received, the received bytes are
 * written; when only headers changed, the current header lines and the received body; only a
 * changed body goes through JavaMail. Every copy James makes ({@code Mail.duplicate}, a DSN's
 * attached original, a repository's copy) goes through {@link #writeTo}, so it is exact too.
 */
public final class SpooledMessage extends MimeMessageWrapper {
    private static final byte[] CRLF = {'\r', '\n'};
    private final SpoolBodySource body;

    SpooledMessage(SpoolBodySource body) {
        super(body);
        this.body = body;
    }

    SpoolBodySource body() {
        return body;
    }

    /** Another message over the same stored body (no copy), for a mail's copy while this one is still as received. */
    SpooledMessage share() {
        return new SpooledMessage(body);
    }

    /** True while writing this message gives the bytes received. */
    public boolean isAsReceived() throws MessagingException {
        if (!isModified()) {
            return true;
        }
        if (isBodyModified()) {
            return false;
        }
        try (InputStream in = body.getInputStream()) {
            List<String> received = Collections.list(new InternetHeaders(in).getAllHeaderLines());
            return received.equals(Collections.list(getAllHeaderLines()));
        } catch (IOException e) {
            throw new MessagingException("cannot read the stored message " + body.bodyId(), e);
        }
    }

    @Override
    public void writeTo(OutputStream headerOs, OutputStream bodyOs, String[] ignoreList, boolean preLoad) throws IOException, MessagingException {
        if (preLoad || isBodyModified()) {
            super.writeTo(headerOs, bodyOs, ignoreList, preLoad);
            return;
        }
        try (InputStream in = new BufferedInputStream(body.getInputStream())) {
            if (isAsReceived() && !MessageBytes.hasAnyOf(this, ignoreList == null ? new String[0] : ignoreList)) {
                copyHeaderSection(in, headerOs);
            } else {
                writeHeaderLines(getNonMatchingHeaderLines(ignoreList == null ? new String[0] : ignoreList), headerOs);
                skipHeaderSection(in);
            }
            in.transferTo(bodyOs);
        }
    }

    @Override
    public InputStream getMessageInputStream() throws MessagingException {
        if (isAsReceived()) {
            try {
                return body.getInputStream();
            } catch (IOException e) {
                throw new MessagingException("cannot read the stored message " + body.bodyId(), e);
            }
        }
        return super.getMessageInputStream();
    }

    /**
     * Header lines as JavaMail decoded them: byte for byte as ISO-8859-1, or as UTF-8 when
     * {@code mail.mime.allowutf8} is set (then JavaMail read them as UTF-8).
     */
    static void writeHeaderLines(Enumeration<String> lines, OutputStream out) throws IOException {
        Charset charset = Boolean.getBoolean("mail.mime.allowutf8") ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        while (lines.hasMoreElements()) {
            out.write(lines.nextElement().getBytes(charset));
            out.write(CRLF);
        }
        out.write(CRLF);
    }

    /** Copies the received header section, up to and including the empty line that ends it. */
    private static void copyHeaderSection(InputStream in, OutputStream out) throws IOException {
        headerSection(in, out);
    }

    private static void skipHeaderSection(InputStream in) throws IOException {
        headerSection(in, OutputStream.nullOutputStream());
    }

    /** Reads through the first empty line (CRLF or LF), passing what it read on. */
    private static void headerSection(InputStream in, OutputStream out) throws IOException {
        boolean lineStart = true;
        int b;
        while ((b = in.read()) >= 0) {
            out.write(b);
            if (b == '\n') {
                if (lineStart) {
                    return;
                }
                lineStart = true;
            } else if (b != '\r' || !lineStart) {
                lineStart = false;
            }
        }
    }
}
