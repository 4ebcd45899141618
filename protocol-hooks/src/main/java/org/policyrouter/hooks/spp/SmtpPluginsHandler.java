package org.policyrouter.hooks.spp;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.core.Username;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.protocols.api.OidcSASLConfiguration;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.ExtensibleHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.protocols.smtp.hook.AuthHook;
import org.apache.james.protocols.smtp.hook.HeloHook;
import org.apache.james.protocols.smtp.hook.Hook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookResultHook;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.policyrouter.hooks.core.RelayControl;
import org.policyrouter.hooks.core.WatchedFiles;
import org.policyrouter.hooks.netty.JamesInternals;
import org.policyrouter.hooks.netty.SessionChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * qmail-spp for James: runs the external plugins listed in an smtpplugins file at connection,
 * HELO/EHLO, MAIL, RCPT, DATA and AUTH, and carries out their commands (see docs/qmail-spp.md).
 * Configured as one {@code <handler class="org.policyrouter.hooks.spp.SmtpPluginsHandler">}.
 *
 * <p>The work is done by one part per James extension point, sharing one {@link SppRuntime} per
 * server: {@link SppConnectHandler}, {@link SppEnvelopeHooks} (HELO, MAIL, RCPT),
 * {@link SppCommandHandler} (DATA, RSET, AUTH), {@link SppAuthHook} and {@link SppMessageHeaders}.
 * This class only forwards to them: James 3.8.1 expands a HandlersPackage only for the handler
 * chain's {@code coreHandlersPackage}, so a configured {@code <handler>} is a single object that
 * James finds by the interfaces it implements. It comes before James's core handlers, as every
 * smtpserver.xml handler does. With no plugin configured it does nothing at all.
 */
public class SmtpPluginsHandler implements ConnectHandler<SMTPSession>, HeloHook, MailHook, RcptHook, AuthHook,
    DataLineFilter, JamesMessageHook, CommandHandler<SMTPSession>, ExtensibleHandler, HookResultHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(SmtpPluginsHandler.class);

    private final FileSystem fileSystem;
    private final DNSService dns;
    private final DomainList domains;
    private final WatchedFiles watchedFiles;
    private SppRuntime runtime;
    private volatile LineHandler<SMTPSession> dispatcher;
    private SppConnectHandler connect;
    private SppEnvelopeHooks envelope;
    private SppCommandHandler commands;
    private SppAuthHook auth;
    private final SppMessageHeaders message = new SppMessageHeaders();

    @Inject
    public SmtpPluginsHandler(FileSystem fileSystem, DNSService dns, DomainList domains, WatchedFiles watchedFiles) {
        this.fileSystem = fileSystem;
        this.dns = dns;
        this.domains = domains;
        this.watchedFiles = watchedFiles;
    }

    @Override
    public void init(Configuration configuration) throws ConfigurationException {
        JamesInternals.reportOnce();
        Path workingDirectory;
        try {
            // James documents -Dworking.directory=. : a relative base would give plugins an empty working directory
            workingDirectory = fileSystem.getBasedir().toPath().toAbsolutePath().normalize();
        } catch (FileNotFoundException e) {
            throw new ConfigurationException("spp: no James working directory", e);
        }
        SppConfiguration config = SppConfiguration.read(configuration, workingDirectory);
        SmtpPluginsSource source;
        try {
            source = SmtpPluginsSource.open(config.smtpplugins);
        } catch (IOException e) {
            throw new ConfigurationException("spp: cannot read the plugin list " + config.smtpplugins + ": " + e, e);
        }
        runtime = new SppRuntime(config, workingDirectory, source, dns, domains, watchedFiles);
        connect = new SppConnectHandler(runtime, () -> dispatcher);
        envelope = new SppEnvelopeHooks(runtime);
        commands = new SppCommandHandler(runtime);
        auth = new SppAuthHook(runtime);
        LOGGER.info("spp: plugins from {}, home {}, timeout {} ms, {}", config.smtpplugins, config.home, config.timeout.toMillis(),
            config.offIoThread && SessionChannel.isReachable() ? "off the I/O threads" : "on the I/O threads");
    }

    @Override
    public void destroy() {
        if (runtime != null) {
            runtime.close();
        }
    }

    @Override
    public List<Class<?>> getMarkerInterfaces() {
        return List.of(LineHandler.class, AuthHook.class, RelayControl.class, RcptHook.class);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void wireExtensions(Class<?> interfaceName, List<?> extensions) {
        // James's command dispatcher: the first line handler of the chain, as its Netty handler takes it
        if (interfaceName.equals(LineHandler.class) && !extensions.isEmpty()) {
            dispatcher = (LineHandler<SMTPSession>) extensions.get(0);
        }
        if (interfaceName.equals(AuthHook.class)) {
            auth.setOtherHooks(extensions.stream().filter(hook -> hook != this).map(AuthHook.class::cast).collect(Collectors.toList()));
        }
        if (interfaceName.equals(RcptHook.class)) {
            envelope.setRcptHooks(extensions.stream().map(RcptHook.class::cast).collect(Collectors.toList()));
        }
        if (interfaceName.equals(RelayControl.class)) {
            // the qpsmtpd relay checks of this chain, wherever they are listed: RELAYCLIENT and SMTPRCPTHOSTSOK follow them
            runtime.setRelayControls(extensions.stream().map(RelayControl.class::cast).collect(Collectors.toList()));
        }
    }

    @Override
    public Response onConnect(SMTPSession session) {
        return connect.onConnect(session);
    }

    @Override
    public HookResult doHelo(SMTPSession session, String helo) {
        return envelope.doHelo(session, helo);
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        return envelope.doMail(session, sender);
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt) {
        return envelope.doRcpt(session, sender, rcpt);
    }

    /** A C at RCPT takes effect once James's RCPT hooks are done with the address the client sent. */
    @Override
    public HookResult onHookResult(SMTPSession session, HookResult result, long executionTime, Hook hook) {
        return envelope.onHookResult(session, result, hook);
    }

    @Override
    public Collection<String> getImplCommands() {
        return commands.getImplCommands();
    }

    /** Runs before James's handler of the same command; null lets James's run. */
    @Override
    public Response onCommand(SMTPSession session, Request request) {
        return commands.onCommand(session, request);
    }

    @Override
    public HookResult doAuth(SMTPSession session, Username username, String password) {
        return auth.doAuth(session, username, password);
    }

    @Override
    public HookResult doSasl(SMTPSession session, OidcSASLConfiguration configuration, String initialResponse) {
        return auth.doSasl(session, configuration, initialResponse);
    }

    @Override
    public Response onLine(SMTPSession session, byte[] line, LineHandler<SMTPSession> next) {
        return message.onLine(session, line, next);
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        return message.onMessage(session, mail);
    }
}
