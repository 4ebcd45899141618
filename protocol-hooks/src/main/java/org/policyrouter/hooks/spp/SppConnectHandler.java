package org.policyrouter.hooks.spp;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.policyrouter.hooks.netty.GreetingHold;
import org.policyrouter.hooks.netty.ReadGate;
import org.policyrouter.hooks.netty.SessionChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.policyrouter.hooks.core.NoReply;

/**
 * The connection: builds the session's plugin environment (tcpserver's variables, the client
 * network's, RELAYCLIENT), runs the [connection] plugins and, off the I/O threads, puts the
 * {@link CommandOffloader} in front of James's command dispatcher. The greeting is held while the
 * [connection] plugins run on a worker, so that an E can replace it as in qmail-spp.
 */
final class SppConnectHandler implements ConnectHandler<SMTPSession> {
    private static final Logger LOGGER = LoggerFactory.getLogger(SppConnectHandler.class);

    private final SppRuntime runtime;
    /** James's command dispatcher, known once the chain is wired; null keeps plugins on the I/O threads. */
    private final Supplier<LineHandler<SMTPSession>> dispatcher;

    SppConnectHandler(SppRuntime runtime, Supplier<LineHandler<SMTPSession>> dispatcher) {
        this.runtime = runtime;
        this.dispatcher = dispatcher;
    }

    @Override
    public Response onConnect(SMTPSession session) {
        if (!SessionChannel.isOpen(session)) {
            // refused by a connection limit before us: no plugin runs for a closed connection
            return NoReply.NONE;
        }
        InetAddress client = session.getRemoteAddress().getAddress();
        Map<String, String> environment = new LinkedHashMap<>(runtime.config.clientEnvironment.forClient(client));
        if (environment.containsKey(SppSession.NOSPP)) {
            // NOSPP for this client's network: qmail-spp does not even read its file
            return NoReply.NONE;
        }
        Optional<SmtpPluginsFile> plugins = runtime.pluginsFor(environment);
        if (plugins.isEmpty()) {
            // qmail-smtpd stops when it cannot read its control files
            return PluginReply.closing(List.of("421 4.3.0 unable to read controls"));
        }
        if (plugins.get().isEmpty()) {
            // nothing to run in this session: every other part of the handler passes
            return NoReply.NONE;
        }
        environment.putAll(TcpServerVariables.of(session));
        if (runtime.relayClient(session)) {
            // tcpserver rules give RELAYCLIENT to the networks allowed to relay; here the relay checks'
            // decision (relayclients, norelayclients) over James's authorizedAddresses
            environment.putIfAbsent("RELAYCLIENT", "");
        }
        SppSession spp = new SppSession(plugins.get(), environment);
        if (runtime.config.lookupRemoteHost) {
            spp.setWhenNeeded("TCPREMOTEHOST", () -> runtime.remoteHost(client));
        }
        SppAttachments.attach(session, spp);
        LineHandler<SMTPSession> commands = dispatcher.get();
        Optional<SessionChannel> channel = runtime.config.offIoThread && commands != null ? SessionChannel.of(session) : Optional.empty();
        if (channel.isEmpty()) {
            return spp.runsPlugins(Section.CONNECTION) ? connectOnThisThread(session, runtime.chain.connect(spp)) : null;
        }
        channel.get().installReadGate();
        session.pushLineHandler(new CommandOffloader(commands, runtime.workers(), SppAttachments::spp));
        if (spp.runsPlugins(Section.CONNECTION)) {
            Optional<GreetingHold> greeting = GreetingHold.install(session);
            ReadGate.hold(session);
            runtime.workers().execute(() -> open(session, greeting, connectVerdict(spp)));
        }
        return NoReply.NONE;
    }

    private PluginVerdict connectVerdict(SppSession spp) {
        try {
            return runtime.chain.connect(spp);
        } catch (RuntimeException e) {
            LOGGER.error("spp: [connection] plugins failed", e);
            return PluginVerdict.reject(List.of(ReplyLine.failure("[connection]", "internal error")));
        }
    }

    /** On the worker: the greeting goes out, replaced or not; reading resumes unless the connection ends. */
    private static void open(SMTPSession session, Optional<GreetingHold> greeting, PluginVerdict verdict) {
        List<String> before = PluginReply.printed(verdict);
        boolean sendGreeting = false;
        boolean close = false;
        switch (verdict.kind()) {
            case PROCEED:
            case SKIP_LATER_CHECKS:
                sendGreeting = true;
                break;
            case REJECT:
                // qmail-spp: the message replaces the greeting and the session goes on
                before.addAll(verdict.replyLines());
                break;
            case REJECT_AND_DROP:
                before.addAll(verdict.replyLines());
                close = true;
                break;
            case DROP:
                close = true;
                break;
            default:
                throw new IllegalStateException("unhandled " + verdict.kind());
        }
        boolean greet = sendGreeting;
        boolean end = close;
        greeting.ifPresent(hold -> hold.open(before, greet, end));
        if (!close) {
            ReadGate.release(session);
        }
    }

    /**
     * Without access to the channel James writes its greeting after whatever this returns, so a
     * rejection cannot replace the greeting: it closes the connection instead.
     */
    private static Response connectOnThisThread(SMTPSession session, PluginVerdict verdict) {
        return VerdictReplies.asCommandReply(session, verdict, true);
    }
}
