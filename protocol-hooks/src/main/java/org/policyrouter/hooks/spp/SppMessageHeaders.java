package org.policyrouter.hooks.spp;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;

/**
 * The message: writes the plugins' H headers in front of its first line, and ends the
 * transaction's plugin state once it is received. James's Received filter comes after this one in
 * the chain and puts its line before the first line it sees, so the result is qmail-smtpd's
 * order: Received, the plugins' headers, the client's message, byte for byte.
 */
final class SppMessageHeaders implements DataLineFilter, JamesMessageHook {
    private static final AttachmentKey<Boolean> HEADERS_WRITTEN = AttachmentKey.of("policyrouter.spp.headersWritten", Boolean.class);

    @Override
    public Response onLine(SMTPSession session, byte[] line, LineHandler<SMTPSession> next) {
        Optional<SppSession> spp = SppAttachments.spp(session);
        if (spp.isPresent() && session.getAttachment(HEADERS_WRITTEN, State.Transaction).isEmpty()) {
            // transaction state: James clears it after each message
            session.setAttachment(HEADERS_WRITTEN, true, State.Transaction);
            for (String header : spp.get().headers()) {
                next.onLine(session, (header + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return next.onLine(session, line);
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        // qmail-spp's spp_rset after the message: queued headers and later errors end with it
        SppAttachments.spp(session).ifPresent(SppSession::reset);
        return HookResult.DECLINED;
    }
}
