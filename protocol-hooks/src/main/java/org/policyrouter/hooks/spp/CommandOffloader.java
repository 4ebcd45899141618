package org.policyrouter.hooks.spp;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.policyrouter.hooks.netty.ReadGate;
import org.policyrouter.hooks.netty.SessionTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the commands whose plugins must run (HELO/EHLO, MAIL, RCPT, DATA, AUTH) off the Netty I/O
 * thread: James's hooks are synchronous and run on the event loop shared by many connections, so a
 * plugin that sleeps (a tarpit) would stall them all. Pushed as the session's line handler, it
 * pauses reading, lets a worker run James's own command dispatch (hooks and plugins included) and
 * write the reply, then resumes reading. Lines the client pipelined meanwhile wait, in order, in a
 * ReadGate in front of James's handler. Other commands are dispatched on the spot.
 */
final class CommandOffloader implements LineHandler<SMTPSession> {
    private static final Logger LOGGER = LoggerFactory.getLogger(CommandOffloader.class);

    private final LineHandler<SMTPSession> dispatcher;
    private final Executor workers;
    private final Function<SMTPSession, Optional<SppSession>> sppSessions;

    CommandOffloader(LineHandler<SMTPSession> dispatcher, Executor workers, Function<SMTPSession, Optional<SppSession>> sppSessions) {
        this.dispatcher = dispatcher;
        this.workers = workers;
        this.sppSessions = sppSessions;
    }

    @Override
    public Response onLine(SMTPSession session, byte[] line) {
        boolean runsPlugins = Section.forCommand(verb(line))
            .flatMap(section -> sppSessions.apply(session).filter(spp -> spp.runsPlugins(section)))
            .isPresent();
        if (!runsPlugins) {
            return dispatcher.onLine(session, line);
        }
        ReadGate.hold(session);
        try {
            workers.execute(() -> dispatch(session, line));
        } catch (RejectedExecutionException e) {
            // the server is stopping: answer here rather than leave the session held
            ReadGate.release(session);
            return session.newFatalErrorResponse();
        }
        return null;
    }

    private void dispatch(SMTPSession session, byte[] line) {
        try (Closeable mdc = SessionTransport.loggingContext(session)) {
            Response response = dispatcher.onLine(session, line);
            if (response != null) {
                SessionTransport.write(session, response);
            }
        } catch (RuntimeException | IOException e) {
            LOGGER.error("spp: command failed on the plugin worker", e);
            SessionTransport.write(session, session.newFatalErrorResponse());
        } finally {
            ReadGate.release(session);
        }
    }

    static String verb(byte[] line) {
        int end = 0;
        while (end < line.length && end < 16 && line[end] != ' ' && line[end] != '\r' && line[end] != '\n') {
            end++;
        }
        return new String(line, 0, end, StandardCharsets.US_ASCII).toUpperCase(Locale.US);
    }
}
