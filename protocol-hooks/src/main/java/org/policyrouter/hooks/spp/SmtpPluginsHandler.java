package org.policyrouter.hooks.spp;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.ExtensibleHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;
import org.apache.james.protocols.smtp.hook.AuthHook;
import org.apache.james.protocols.smtp.hook.HeloHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.apache.james.protocols.netty.HandlerConstants;
import org.apache.james.protocols.api.OidcSASLConfiguration;
import org.apache.james.core.Username;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.policyrouter.hooks.core.ReadGate;
import org.policyrouter.hooks.core.SessionChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;

/**
 * qmail-spp for James: runs the external plugins listed in an smtpplugins file at connection,
 * HELO/EHLO, MAIL, RCPT, DATA and AUTH, and carries out their commands (see docs/qmail-spp.md).
 *
 * <p>One handler class for every point James offers, each a thin adapter over {@link PluginChain}:
 * the connect handler (the [connection] plugins, holding James's greeting back), HELO, MAIL and
 * RCPT hooks, a DATA command handler placed before James's (James has no hook at the DATA
 * command), an auth hook that runs [auth] after the other auth hooks accepted, a data-line filter that writes the H
 * headers into the message and a message hook that ends the transaction's plugin state. It comes
 * before James's core handlers, as every smtpserver.xml handler does. With no plugin configured it does nothing at all.
 */
public class SmtpPluginsHandler implements ConnectHandler<SMTPSession>, HeloHook, MailHook, RcptHook, AuthHook,
    DataLineFilter, JamesMessageHook, CommandHandler<SMTPSession>, ExtensibleHandler {
    private static final Logger LOGGER = LoggerFactory.getLogger(SmtpPluginsHandler.class);
    private static final AttachmentKey<SppSession> SPP = AttachmentKey.of("policyrouter.spp", SppSession.class);
    private static final AttachmentKey<String> AUTH_METHOD = AttachmentKey.of("policyrouter.spp.authMethod", String.class);
    private static final AttachmentKey<Boolean> HEADERS_WRITTEN = AttachmentKey.of("policyrouter.spp.headersWritten", Boolean.class);

    private final FileSystem fileSystem;
    private final DNSService dns;
    private final DomainList domains;
    private SppConfiguration config;
    private SmtpPluginsSource source;
    private final Map<Path, SmtpPluginsSource> otherSources = new ConcurrentHashMap<>();
    private Path workingDirectory;
    private PluginRunner runner;
    private PluginChain chain;
    private ExecutorService workers;
    private LineHandler<SMTPSession> dispatcher;
    private List<AuthHook> authHooks = List.of();

    @Inject
    public SmtpPluginsHandler(FileSystem fileSystem, DNSService dns, DomainList domains) {
        this.fileSystem = fileSystem;
        this.dns = dns;
        this.domains = domains;
    }

    @Override
    public void init(Configuration configuration) throws ConfigurationException {
        try {
            workingDirectory = fileSystem.getBasedir().toPath();
        } catch (FileNotFoundException e) {
            throw new ConfigurationException("spp: no James working directory", e);
        }
        config = SppConfiguration.read(configuration, workingDirectory);
        try {
            source = SmtpPluginsSource.open(config.smtpplugins);
        } catch (IOException e) {
            throw new ConfigurationException("spp: cannot read the plugin list " + config.smtpplugins + ": " + e, e);
        }
        runner = new PluginRunner(config.home, config.timeout, config.maxOutputBytes, config.setsid,
            (plugin, line) -> LOGGER.info("spp {}: {}", plugin.text(), line));
        chain = new PluginChain(runner);
        AtomicInteger threads = new AtomicInteger();
        workers = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "spp-worker-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        LOGGER.info("spp: plugins from {}, home {}, timeout {} ms, {}", config.smtpplugins, config.home, config.timeout.toMillis(),
            config.offIoThread && SessionChannel.isReachable() ? "off the I/O threads" : "on the I/O threads");
    }

    @Override
    public void destroy() {
        if (workers != null) {
            workers.shutdownNow();
        }
        if (runner != null) {
            runner.close();
        }
    }

    @Override
    public List<Class<?>> getMarkerInterfaces() {
        return List.of(LineHandler.class, AuthHook.class);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void wireExtensions(Class<?> interfaceName, List<?> extensions) {
        // James's command dispatcher: the first line handler of the chain, as its Netty handler takes it
        if (interfaceName.equals(LineHandler.class) && !extensions.isEmpty()) {
            dispatcher = (LineHandler<SMTPSession>) extensions.get(0);
        }
        if (interfaceName.equals(AuthHook.class)) {
            List<AuthHook> others = new ArrayList<>();
            extensions.stream().filter(hook -> hook != this).forEach(hook -> others.add((AuthHook) hook));
            authHooks = List.copyOf(others);
        }
    }

    private static Optional<SppSession> spp(SMTPSession session) {
        return session.getAttachment(SPP, State.Connection);
    }

    // ---- connection ----

    /** The configured smtpplugins file, or the one SPPCONFFILE names for this client (as in qmail-spp). */
    private Optional<SmtpPluginsFile> pluginsFor(Map<String, String> environment) {
        String named = environment.get("SPPCONFFILE");
        if (named == null || named.isEmpty()) {
            return Optional.of(source.current());
        }
        Path file = workingDirectory.resolve(named).normalize();
        try {
            return Optional.of(otherSources.computeIfAbsent(file, path -> {
                try {
                    return SmtpPluginsSource.open(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).current());
        } catch (UncheckedIOException e) {
            LOGGER.error("spp: cannot read SPPCONFFILE {}: {}", file, e.getCause().toString());
            return Optional.empty();
        }
    }

    @Override
    public Response onConnect(SMTPSession session) {
        if (!SessionChannel.isOpen(session)) {
            // refused by a connection limit before us: no plugin runs for a closed connection
            return null;
        }
        InetAddress client = session.getRemoteAddress().getAddress();
        Map<String, String> environment = new LinkedHashMap<>(config.clientEnvironment.forClient(client));
        if (environment.containsKey(SppSession.NOSPP)) {
            // NOSPP for this client's network: qmail-spp does not even read its file
            return null;
        }
        Optional<SmtpPluginsFile> plugins = pluginsFor(environment);
        if (plugins.isEmpty()) {
            // qmail-smtpd stops when it cannot read its control files
            return PluginReply.closing(List.of("421 4.3.0 unable to read controls"));
        }
        if (plugins.get().isEmpty()) {
            // nothing to run in this session: every other method of this handler passes
            return null;
        }
        environment.putAll(TcpServerVariables.of(session));
        if (session.isRelayingAllowed()) {
            // tcpserver rules give RELAYCLIENT to the networks allowed to relay; here James's authorizedAddresses
            environment.putIfAbsent("RELAYCLIENT", "");
        }
        SppSession spp = new SppSession(plugins.get(), environment);
        if (config.lookupRemoteHost) {
            spp.setWhenNeeded("TCPREMOTEHOST", () -> remoteHost(client));
        }
        session.setAttachment(SPP, spp, State.Connection);
        Optional<Channel> channel = config.offIoThread && dispatcher != null ? SessionChannel.of(session) : Optional.empty();
        if (channel.isEmpty()) {
            return spp.runsPlugins(Section.CONNECTION) ? connectOnThisThread(session, chain.connect(spp)) : null;
        }
        ChannelPipeline pipeline = channel.get().pipeline();
        ReadGate.of(channel.get());
        session.pushLineHandler(new CommandOffloader(dispatcher, workers, SmtpPluginsHandler::spp));
        if (spp.runsPlugins(Section.CONNECTION)) {
            GreetingGate gate = new GreetingGate();
            pipeline.addBefore(HandlerConstants.CORE_HANDLER, GreetingGate.NAME, gate);
            ReadGate.hold(session);
            workers.execute(() -> {
                Verdict verdict = connectVerdict(spp);
                channel.get().eventLoop().execute(() -> openGate(session, gate, verdict));
            });
        }
        return null;
    }

    private Verdict connectVerdict(SppSession spp) {
        try {
            return chain.connect(spp);
        } catch (RuntimeException e) {
            LOGGER.error("spp: [connection] plugins failed", e);
            return Verdict.reject(List.of(ReplyLine.failure("[connection]", "internal error")));
        }
    }

    private static void openGate(SMTPSession session, GreetingGate gate, Verdict verdict) {
        List<String> before = PluginReply.printed(verdict);
        switch (verdict.kind()) {
            case PROCEED:
            case SKIP_LATER_CHECKS:
                gate.open(before, true, false);
                break;
            case REJECT:
                // qmail-spp: the message replaces the greeting and the session goes on
                before.addAll(verdict.replyLines());
                gate.open(before, false, false);
                break;
            case REJECT_AND_DROP:
                before.addAll(verdict.replyLines());
                gate.open(before, false, true);
                return;
            case DROP:
                gate.open(before, false, true);
                return;
            default:
                throw new IllegalStateException("unhandled " + verdict.kind());
        }
        ReadGate.release(session);
    }

    /**
     * Without access to the channel James writes its greeting after whatever this returns, so a
     * rejection cannot replace the greeting: it closes the connection instead.
     */
    private Response connectOnThisThread(SMTPSession session, Verdict verdict) {
        return commandReply(session, verdict, true);
    }

    private Optional<String> remoteHost(InetAddress client) {
        try {
            String name = dns.getHostName(client);
            // James answers the address itself when there is no PTR record; tcpserver leaves the variable unset
            return name == null || name.equals(client.getHostAddress()) ? Optional.empty() : Optional.of(name);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    // ---- HELO/EHLO, MAIL, RCPT ----

    @Override
    public HookResult doHelo(SMTPSession session, String helo) {
        return spp(session).map(spp -> {
            noteAuthentication(session, spp);
            return answer(session, chain.helo(spp, helo));
        }).orElse(HookResult.DECLINED);
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        return spp(session).map(spp -> {
            noteAuthentication(session, spp);
            Verdict verdict = chain.mail(spp, sender.isNullSender() ? "" : sender.asString());
            verdict.changedAddress().flatMap(SmtpPluginsHandler::sender)
                .ifPresent(changed -> session.setAttachment(SMTPSession.SENDER, changed, State.Transaction));
            return answer(session, verdict);
        }).orElse(HookResult.DECLINED);
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt) {
        return spp(session).map(spp -> {
            noteAuthentication(session, spp);
            Verdict verdict = chain.rcpt(spp, rcpt.asString(), session.getRcptCount(), rcptHostsOk(session, rcpt.getDomain()));
            // James's RCPT handler records this attachment, not the address it parsed
            verdict.changedAddress().flatMap(SmtpPluginsHandler::address)
                .ifPresent(changed -> session.setAttachment(RcptCmdHandler.CURRENT_RECIPIENT, changed, State.Transaction));
            return answer(session, verdict);
        }).orElse(HookResult.DECLINED);
    }

    /** qmail's rcpthosts check: relaying allowed, or a domain of ours. */
    private boolean rcptHostsOk(SMTPSession session, Domain domain) {
        if (session.isRelayingAllowed()) {
            return true;
        }
        try {
            return domains.containsDomain(domain);
        } catch (DomainListException e) {
            LOGGER.warn("spp: cannot read the domain list for SMTPRCPTHOSTSOK", e);
            return false;
        }
    }

    private static Optional<MaybeSender> sender(String address) {
        if (address.isEmpty()) {
            return Optional.of(MaybeSender.nullSender());
        }
        return address(address).map(MaybeSender::of);
    }

    private static Optional<MailAddress> address(String address) {
        try {
            return Optional.of(new MailAddress(address));
        } catch (javax.mail.internet.AddressException e) {
            LOGGER.warn("spp: C ignored, not an address: {}", PluginOutput.printable(address));
            return Optional.empty();
        }
    }

    /** A verdict as a hook result: N and A are DECLINED (James's own checks still run), O is OK. */
    private static HookResult answer(SMTPSession session, Verdict verdict) {
        print(session, PluginReply.printed(verdict));
        switch (verdict.kind()) {
            case PROCEED:
                return HookResult.DECLINED;
            case SKIP_LATER_CHECKS:
                // OK skips every later hook, relay control included: what O means in qmail-spp too
                return HookResult.OK;
            case REJECT:
            case REJECT_AND_DROP:
                List<String> lines = verdict.replyLines();
                print(session, lines.subList(0, lines.size() - 1));
                return rejection(verdict.finalReply().orElseThrow(), verdict.kind() == Verdict.Kind.REJECT_AND_DROP);
            case DROP:
                // James writes the hook's reply after this; the channel is closed by then, so nothing arrives
                transport(session).writeResponse(Response.DISCONNECT, session);
                return HookResult.DENY;
            default:
                throw new IllegalStateException("unhandled " + verdict.kind());
        }
    }

    private static HookResult rejection(ReplyLine reply, boolean disconnect) {
        HookReturnCode.Action action = reply.code().startsWith("4") ? HookReturnCode.Action.DENYSOFT : HookReturnCode.Action.DENY;
        return HookResult.builder()
            .hookReturnCode(disconnect ? HookReturnCode.disconnected(action) : HookReturnCode.connected(action))
            .smtpReturnCode(reply.code())
            .smtpDescription(reply.text())
            .build();
    }

    private static void print(SMTPSession session, List<String> lines) {
        if (!lines.isEmpty()) {
            transport(session).writeResponse(PluginReply.of(lines), session);
        }
    }

    private static ProtocolTransport transport(SMTPSession session) {
        return ((ProtocolSessionImpl) session).getProtocolTransport();
    }

    // ---- DATA, RSET, AUTH commands ----

    @Override
    public Collection<String> getImplCommands() {
        return List.of("DATA", "RSET", "AUTH");
    }

    /** Runs before James's handler of the same command; null lets James's run. */
    @Override
    public Response onCommand(SMTPSession session, Request request) {
        Optional<SppSession> spp = spp(session);
        if (spp.isEmpty()) {
            return null;
        }
        switch (request.getCommand()) {
            case "RSET":
                spp.get().reset();
                return null;
            case "AUTH":
                String argument = request.getArgument() == null ? "" : request.getArgument().strip();
                String method = argument.split(" ", 2)[0].toLowerCase(Locale.US);
                session.setAttachment(AUTH_METHOD, method, State.Connection);
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
        noteAuthentication(session, spp);
        return commandReply(session, chain.data(spp), false);
    }

    /**
     * A verdict as the reply of a command handler (not a hook): P lines and the plugin's reply
     * exactly as written, or null to let James answer.
     */
    private static Response commandReply(SMTPSession session, Verdict verdict, boolean rejectionCloses) {
        List<String> lines = PluginReply.printed(verdict);
        switch (verdict.kind()) {
            case REJECT:
            case REJECT_AND_DROP:
                lines.addAll(verdict.replyLines());
                return rejectionCloses || verdict.kind() == Verdict.Kind.REJECT_AND_DROP ? PluginReply.closing(lines) : PluginReply.of(lines);
            case DROP:
                print(session, lines);
                return Response.DISCONNECT;
            default:
                print(session, lines);
                return null;
        }
    }

    // ---- AUTH ----

    /**
     * qmail-spp runs [auth] once the credentials are good. James 3.8.1 offers no point after the
     * auth hooks (its AuthCmdHandler wires no HookResultHook), so this hook, the first of them,
     * asks the others itself, as AuthCmdHandler would (the first answer that is not DECLINED
     * counts), and runs the plugins when one of them accepted.
     */
    @Override
    public HookResult doAuth(SMTPSession session, Username username, String password) {
        return authenticate(session, hook -> hook.doAuth(session, username, password));
    }

    @Override
    public HookResult doSasl(SMTPSession session, OidcSASLConfiguration configuration, String initialResponse) {
        return authenticate(session, hook -> hook.doSasl(session, configuration, initialResponse));
    }

    private HookResult authenticate(SMTPSession session, Function<AuthHook, HookResult> check) {
        Optional<SppSession> spp = spp(session);
        if (spp.isEmpty() || !spp.get().runsPlugins(Section.AUTH)) {
            // James authenticates as usual; later plugins learn the user from noteAuthentication
            return HookResult.DECLINED;
        }
        boolean relayingBefore = session.isRelayingAllowed();
        for (AuthHook hook : authHooks) {
            HookResult result = check.apply(hook);
            HookReturnCode.Action action = result.getResult().getAction();
            if (action == HookReturnCode.Action.OK && session.getUsername() != null) {
                return afterAuthentication(session, spp.get(), result, relayingBefore);
            }
            if (action != HookReturnCode.Action.DECLINED && action != HookReturnCode.Action.NONE || result.getResult().isDisconnected()) {
                return result;
            }
        }
        // every hook declined: the answer AuthCmdHandler gives then
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("535").smtpDescription("Authentication Failed").build();
    }

    /**
     * The environment qmail-spp's AUTH leaves for later plugins (SMTPAUTHUSER, SMTPAUTHMETHOD) when
     * no [auth] plugin ran; RELAYCLIENT too, since James lets authenticated clients relay.
     */
    private static void noteAuthentication(SMTPSession session, SppSession spp) {
        if (session.getUsername() == null || spp.variable("SMTPAUTHUSER") != null) {
            return;
        }
        spp.set("SMTPAUTHUSER", session.getUsername().asString());
        spp.set("SMTPAUTHMETHOD", session.getAttachment(AUTH_METHOD, State.Connection).orElse(""));
        if (session.isRelayingAllowed() && spp.variable("RELAYCLIENT") == null) {
            spp.set("RELAYCLIENT", "");
        }
    }

    private HookResult afterAuthentication(SMTPSession session, SppSession spp, HookResult accepted, boolean relayingBefore) {
        String method = session.getAttachment(AUTH_METHOD, State.Connection).orElse("");
        Verdict verdict = chain.auth(spp, method, session.getUsername().asString());
        if (verdict.kind() == Verdict.Kind.PROCEED || verdict.kind() == Verdict.Kind.SKIP_LATER_CHECKS) {
            print(session, PluginReply.printed(verdict));
            return accepted;
        }
        // refused by a plugin: the client is not logged in after all
        session.setUsername(null);
        session.setRelayingAllowed(relayingBefore);
        spp.unset("SMTPAUTHUSER");
        spp.unset("SMTPAUTHMETHOD");
        if (verdict.kind() == Verdict.Kind.DROP) {
            print(session, PluginReply.printed(verdict));
            return HookResult.builder().hookReturnCode(HookReturnCode.disconnected(HookReturnCode.Action.NONE)).build();
        }
        return answer(session, verdict);
    }

    // ---- the message ----

    /**
     * Writes the H headers in front of the message's first line. James's Received filter comes
     * after this one in the chain and puts its line before the first line it sees, so the result
     * is qmail-smtpd's order: Received, the plugins' headers, the client's message, byte for byte.
     */
    @Override
    public Response onLine(SMTPSession session, byte[] line, LineHandler<SMTPSession> next) {
        Optional<SppSession> spp = spp(session);
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
        spp(session).ifPresent(SppSession::reset);
        return HookResult.DECLINED;
    }
}
