package org.policyrouter.hooks.netty;

import java.io.Closeable;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.netty.BasicChannelInboundHandler;
import org.apache.james.util.MDCBuilder;

/**
 * A session's transport, which James 3.8.1 keeps behind its session implementation class: needed
 * to write a reply that is not the answer of the command being handled (spp's P lines, a reply
 * sent from a worker or after the fsync) and to pause reading without the channel.
 */
public final class SessionTransport {
    private SessionTransport() {
    }

    /** Empty when the session is not James's implementation (see {@link JamesInternals}). */
    public static Optional<ProtocolTransport> of(ProtocolSession session) {
        if (!JamesInternals.probed().hasSessionTransport() || !(session instanceof ProtocolSessionImpl)) {
            return Optional.empty();
        }
        return Optional.ofNullable(((ProtocolSessionImpl) session).getProtocolTransport());
    }

    /** Writes the response now; dropped when the transport cannot be reached. */
    public static void write(ProtocolSession session, Response response) {
        of(session).ifPresent(transport -> transport.writeResponse(response, session));
    }

    /** Pauses or resumes reading through James's own switch (used when the channel cannot be reached). */
    static void setReadable(ProtocolSession session, boolean readable) {
        of(session).ifPresent(transport -> transport.setReadable(readable));
    }

    /** The session's logging context (client address, session id), which James sets on its own threads only. */
    public static Closeable loggingContext(ProtocolSession session) {
        return session.getAttachment(BasicChannelInboundHandler.MDC_ATTRIBUTE_KEY, ProtocolSession.State.Connection)
            .map(MDCBuilder::build)
            .orElse(() -> { });
    }
}
