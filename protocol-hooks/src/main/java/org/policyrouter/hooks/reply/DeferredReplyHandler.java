package org.policyrouter.hooks.reply;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.policyrouter.hooks.core.SessionChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;

/**
 * Sends the reply to the end of DATA once the spool has fsynced the mail, without blocking the
 * Netty I/O thread meanwhile (see {@link DeferredReplies}):
 *
 * <pre>
 * &lt;handler class="org.policyrouter.hooks.reply.DeferredReplyHandler"/&gt;
 * </pre>
 *
 * <p>The "." line is processed by James as usual; when a message hook deferred a wait, the reply is
 * held, reading pauses (pipelined lines wait in order), and the reply goes out at the end of the
 * event loop's current round of reads: the first wait then syncs every mail the round's sessions
 * (and the other I/O threads) appended, so one fsync answers them all (Redis answers its clients
 * after its append-only file's fsync the same way). Without this handler, or when the session's
 * Netty channel cannot be reached, each enqueue waits for its own group commit on the I/O thread.
 */
public class DeferredReplyHandler implements ConnectHandler<SMTPSession>, DataLineFilter {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeferredReplyHandler.class);
    /** Replies held by the sessions of the event loop running on this thread, in arrival order. */
    private static final ThreadLocal<ArrayDeque<Held>> HELD = ThreadLocal.withInitial(ArrayDeque::new);

    @Override
    public Response onConnect(SMTPSession session) {
        SessionChannel.of(session).ifPresent(SessionChannel::holdPipelinedLines);
        return null;
    }

    @Override
    public Response onLine(SMTPSession session, byte[] line, LineHandler<SMTPSession> next) {
        Optional<Channel> channel = isEndOfData(line) ? SessionChannel.of(session) : Optional.empty();
        if (channel.isEmpty() || !channel.get().eventLoop().inEventLoop()) {
            return next.onLine(session, line);
        }
        DeferredReplies.Deferred<Response> deferred = DeferredReplies.during(() -> next.onLine(session, line));
        if (deferred.waits.isEmpty()) {
            return deferred.result;
        }
        ProtocolTransport transport = ((ProtocolSessionImpl) session).getProtocolTransport();
        transport.setReadable(false);
        ArrayDeque<Held> held = HELD.get();
        if (held.isEmpty()) {
            // runs after the event loop has handled every read of this round
            channel.get().eventLoop().execute(DeferredReplyHandler::replyHeld);
        }
        held.add(new Held(session, transport, deferred.result, deferred.waits));
        return null;
    }

    private static boolean isEndOfData(byte[] line) {
        return line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n';
    }

    private static void replyHeld() {
        ArrayDeque<Held> held = HELD.get();
        Held next;
        while ((next = held.poll()) != null) {
            try {
                next.reply();
            } catch (RuntimeException e) {
                LOGGER.error("{}: cannot send the held reply", next.session.getSessionID(), e);
            }
        }
    }

    private static final class Held {
        final SMTPSession session;
        final ProtocolTransport transport;
        final Response response;
        final List<DeferredReplies.Wait> waits;

        Held(SMTPSession session, ProtocolTransport transport, Response response, List<DeferredReplies.Wait> waits) {
            this.session = session;
            this.transport = transport;
            this.response = response;
            this.waits = waits;
        }

        void reply() {
            Response reply = response;
            try {
                IOException failures = new IOException("the message could not be made durable");
                DeferredReplies.awaitAll(waits, failures);
                if (failures.getSuppressed().length > 0) {
                    LOGGER.error("{}: not acknowledged", session.getSessionID(), failures);
                    if (reply == null || reply.getRetCode().startsWith("2")) {
                        reply = new SMTPResponse(SMTPRetCode.LOCAL_ERROR, "4.3.0 Temporary failure in queueing the message");
                    }
                }
                if (reply != null) {
                    transport.writeResponse(reply, session);
                }
            } finally {
                transport.setReadable(true);
            }
        }
    }
}
