package org.policyrouter.hooks.spp;

import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPSession;

/** The plugin state the parts of the handler keep in a James session, and the auth variables derived from it. */
final class SppAttachments {
    private static final AttachmentKey<SppSession> SPP = AttachmentKey.of("policyrouter.spp", SppSession.class);
    private static final AttachmentKey<String> AUTH_METHOD = AttachmentKey.of("policyrouter.spp.authMethod", String.class);

    private SppAttachments() {
    }

    /** The session's plugin state; empty when no plugin runs for it (none listed, NOSPP, a closed connection). */
    static Optional<SppSession> spp(SMTPSession session) {
        return session.getAttachment(SPP, State.Connection);
    }

    static void attach(SMTPSession session, SppSession spp) {
        session.setAttachment(SPP, spp, State.Connection);
    }

    static void rememberAuthMethod(SMTPSession session, String method) {
        session.setAttachment(AUTH_METHOD, method, State.Connection);
    }

    static String authMethod(SMTPSession session) {
        return session.getAttachment(AUTH_METHOD, State.Connection).orElse("");
    }

    /**
     * The environment qmail-spp's AUTH leaves for later plugins (SMTPAUTHUSER, SMTPAUTHMETHOD) when
     * no [auth] plugin ran; RELAYCLIENT too, since James lets authenticated clients relay.
     */
    static void noteAuthentication(SMTPSession session, SppSession spp) {
        if (session.getUsername() == null || spp.variable("SMTPAUTHUSER") != null) {
            return;
        }
        spp.set("SMTPAUTHUSER", session.getUsername().asString());
        spp.set("SMTPAUTHMETHOD", authMethod(session));
        if (session.isRelayingAllowed() && spp.variable("RELAYCLIENT") == null) {
            spp.set("RELAYCLIENT", "");
        }
    }
}
