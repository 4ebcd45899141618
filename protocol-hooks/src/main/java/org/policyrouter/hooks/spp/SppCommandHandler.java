package org.policyrouter.hooks.spp;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.smtp.SMTPSession;

/**
 * The commands James has no hook for: [data] plugins at the DATA command (placed before James's
 * DATA handler), RSET ending the transaction's plugin state, and the AUTH mechanism noted for
 * SMTPAUTHMETHOD. Returning null lets James's own handler of the command run.
 */
final class SppCommandHandler implements CommandHandler<SMTPSession> {
    private final SppRuntime runtime;

    SppCommandHandler(SppRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public Collection<String> getImplCommands() {
        return List.of("DATA", "RSET", "AUTH");
    }

    @Override
    public Response onCommand(SMTPSession session, Request request) {
        Optional<SppSession> spp = SppAttachments.spp(session);
        if (spp.isEmpty()) {
            return null;
        }
        switch (request.getCommand()) {
            case "RSET":
                spp.get().reset();
                return null;
            case "AUTH":
                String argument = request.getArgument() == null ? "" : request.getArgument().strip();
                SppAttachments.rememberAuthMethod(session, argument.split(" ", 2)[0].toLowerCase(Locale.US));
                return null;
            case "DATA":
                return data(session, spp.get());
            default:
                return null;
        }
    }

    private Response data(SMTPSession session, SppSession spp) {
        // qmail-smtpd checks for MAIL and RCPT before qmail-spp's DATA; James's handler answers those cases
        if (session.getAttachment(SMTPSession.SENDER, State.Transaction).isEmpty() || session.getRcptCount() == 0) {
            return null;
        }
        SppAttachments.noteAuthentication(session, spp);
        return VerdictReplies.asCommandReply(session, runtime.chain.data(spp), false);
    }
}
