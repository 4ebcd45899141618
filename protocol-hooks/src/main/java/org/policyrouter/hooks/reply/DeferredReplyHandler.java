package org.policyrouter.hooks.reply;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.commons.configuration2.Configuration;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.policyrouter.core.HeldReplies;
import org.policyrouter.core.QueueIds;
import org.policyrouter.hooks.core.CommandInjectionScan;
import org.policyrouter.hooks.netty.JamesInternals;
import org.policyrouter.hooks.netty.SessionChannel;
import org.policyrouter.hooks.netty.SessionTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.policyrouter.hooks.core.NoReply;

/**
 * Gives each accepted message its queue ID (the mail's name, and the attribute
 * {@value QueueIds#ATTRIBUTE}) and names it in the reply ({@code 250 2.6.0 Message received, queued
 * as 1A2B…}), so every log line about the message, James's own included, starts with the ID the
 * client was told. Sends that reply once the spool has fsynced the mail, without blocking the Netty
 * I/O thread meanwhile (see {@link HeldReplies}):
 *
 * <pre>
 * &lt;handler class="org.policyrouter.hooks.reply.DeferredReplyHandler"/&gt;
 * </pre>
 *
 * <p>The "." line is processed by James as usual; when a message hook deferred a wait, the reply is
 * held and reading pauses for that session (lines it pipelined wait, in order). After the event
 * loop's current round of reads, the round's held replies go to one waiting thread, which runs
 * their waits — the first one syncs everything appended so far, by every I/O thread, so one fsync
 * answers many sessions — and hands each reply back to its event loop to be sent. The I/O threads
 * meanwhile go on reading other sessions, whose mails join the next fsync. Without this handler,
 * or when the session's Netty channel cannot be reached, each enqueue waits for its own group
 * commit on the I/O thread.
 */
public class DeferredReplyHandler implements ConnectHandler<SMTPSession>, DataLineFilter, JamesMessageHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeferredReplyHandler.class);
    private static final AttributeName QUEUE_ID = AttributeName.of(QueueIds.ATTRIBUTE);
    /** The ID given to the message being accepted, until its reply is sent (the transaction state is gone by then). */
    private static final ProtocolSession.AttachmentKey<String> ACCEPTED = ProtocolSession.AttachmentKey.of("policyrouter.queue-id", String.class);

    /** Replies held by the sessions of the event loop running on this thread, in arrival order. */
    private final ThreadLocal<List<Held>> held = ThreadLocal.withInitial(ArrayList::new);
    /** One per server (one handler chain), shut down with it. */
    private final ExecutorService waiter = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "policyrouter-reply-waiter");
        thread.setDaemon(true);
        return thread;
    });

    @Override
    public void init(Configuration configuration) {
        JamesInternals.reportOnce();
    }

    /**
     * James stops the server's handlers after it stopped listening: replies still held are sent (or
     * fail with their closed channel) before the thread ends, so no mail is left unreleased.
     */
    @Override
    public void destroy() {
        waiter.shutdown();
        try {
            if (!waiter.awaitTermination(30, TimeUnit.SECONDS)) {
                LOGGER.warn("held replies still waiting after 30 s at shutdown");
                waiter.shutdownNow();
            }
        } catch (InterruptedException e) {
            waiter.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Response onConnect(SMTPSession session) {
        CommandInjectionScan.atConnect(session);
        // reading pauses in order while a reply is held, and while DATA waits to be stored
        SessionChannel.of(session).ifPresent(SessionChannel::installReadGate);
        return NoReply.NONE;
    }

    /** Runs before James's SendMailHandler enqueues the mail (handlers listed before CoreCmdHandlerLoader). */
    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        String id = QueueIds.next();
        mail.setName(id);
        mail.setAttribute(new Attribute(QUEUE_ID, AttributeValue.of(id)));
        session.setAttachment(ACCEPTED, id, ProtocolSession.State.Connection);
        return HookResult.DECLINED;
    }

    @Override
    public Response onLine(SMTPSession session, byte[] line, LineHandler<SMTPSession> next) {
        if (!isEndOfData(line)) {
            CommandInjectionScan.duringData(session);
            return next.onLine(session, line);
        }
        CommandInjectionScan.afterData(session);
        Optional<SessionChannel> channel = SessionChannel.of(session);
        if (channel.isEmpty() || !channel.get().inEventLoop()) {
            return withQueueId(next.onLine(session, line), session.removeAttachment(ACCEPTED, ProtocolSession.State.Connection));
        }
        HeldReplies.Held<Response> deferred = HeldReplies.during(() -> next.onLine(session, line));
        Response response = withQueueId(deferred.result(), session.removeAttachment(ACCEPTED, ProtocolSession.State.Connection));
        if (deferred.waits().isEmpty()) {
            return response;
        }
        channel.get().holdReading();
        List<Held> round = held.get();
        if (round.isEmpty()) {
            // runs after the event loop has handled every read of this round
            channel.get().execute(this::handOverRound);
        }
        round.add(new Held(session, channel.get(), response, deferred.waits()));
        return null;
    }

    /** Postfix's "250 2.0.0 Ok: queued as …", for a message that was accepted. */
    static Response withQueueId(Response response, Optional<String> queueId) {
        if (response == null || queueId.isEmpty() || !response.getRetCode().startsWith("2") || response.isEndSession()) {
            return response;
        }
        List<CharSequence> lines = response.getLines();
        String line = lines.get(0).toString();
        // the line carries its code ("250 2.6.0 Message received"); only single-line replies are extended
        if (lines.size() != 1 || line.length() < 4) {
            return response;
        }
        return new SMTPResponse(response.getRetCode(), line.substring(4) + ", queued as " + queueId.get());
    }

    private static boolean isEndOfData(byte[] line) {
        return line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n';
    }

    private void handOverRound() {
        List<Held> round = List.copyOf(held.get());
        held.get().clear();
        Runnable replies = () -> round.forEach(DeferredReplyHandler::awaitAndReply);
        try {
            waiter.execute(replies);
        } catch (RejectedExecutionException e) {
            // the server is stopping: wait here rather than leave the mails unreleased
            replies.run();
        }
    }

    private static void awaitAndReply(Held held) {
        try {
            held.awaitAndReply();
        } catch (RuntimeException e) {
            LOGGER.warn("{}: cannot send the held reply", held.session.getSessionID(), e);
        }
    }

    private static final class Held {
        final SMTPSession session;
        final SessionChannel channel;
        final Response response;
        final List<HeldReplies.Wait> waits;

        Held(SMTPSession session, SessionChannel channel, Response response, List<HeldReplies.Wait> waits) {
            this.session = session;
            this.channel = channel;
            this.response = response;
            this.waits = waits;
        }

        /** On the waiting thread: waits, then lets the session's event loop send the reply. */
        void awaitAndReply() {
            Response reply = response;
            IOException failures = new IOException("the message could not be made durable");
            HeldReplies.awaitAll(waits, failures);
            if (failures.getSuppressed().length > 0) {
                LOGGER.error("{}: not acknowledged", session.getSessionID(), failures);
                if (reply == null || reply.getRetCode().startsWith("2")) {
                    reply = new SMTPResponse(SMTPRetCode.LOCAL_ERROR, "4.3.0 Temporary failure in queueing the message");
                }
            }
            Response toSend = reply;
            channel.execute(() -> send(toSend));
        }

        private void send(Response reply) {
            try {
                if (reply != null) {
                    SessionTransport.write(session, reply);
                }
            } finally {
                channel.releaseReading();
            }
        }
    }
}
