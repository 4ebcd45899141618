package org.policyrouter.hooks.core;

import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HeloHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.apache.james.protocols.smtp.hook.UnknownHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.policyrouter.hooks.netty.JamesInternals;
import org.policyrouter.hooks.netty.SessionChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A qpsmtpd plugin as a James SMTP handler. Subclasses write the check against qpsmtpd's hooks
 * with James-free types ({@link Connection}, {@link EnvelopeAddress}, {@link Verdict}); this
 * class is the thin adapter that James calls, and turns verdicts into qpsmtpd's replies
 * ({@link Stage}). The same subclass runs alone as a {@code <handler>} or inside the plugins-file
 * runner.
 *
 * <p>Only relay control may accept: in James a hook answering OK skips every later hook,
 * including James's own relay check, so an OK from any other check would open the relay. Checks
 * that do not override {@link #mayAccept()} have their OK turned into DECLINED.
 *
 * <p>Needs {@code <handlerchain enableJmx="false">}: a ConnectHandler that has nothing to say
 * returns null, which James 3.8.1's JMX statistics cannot count.
 */
public abstract class QpsmtpdHandler implements ConnectHandler<SMTPSession>, DisconnectHandler<SMTPSession>,
    HeloHook, MailHook, RcptHook, UnknownHook, JamesMessageHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(QpsmtpdHandler.class);

    private FileSystem fileSystem;
    private DNSService dnsService;
    private DomainList domainList;
    private CheckEnvironment environment;
    private WatchedFiles watchedFiles = new WatchedFiles();

    @Inject
    public void setJamesServices(FileSystem fileSystem, DNSService dnsService, DomainList domainList) {
        this.fileSystem = fileSystem;
        this.dnsService = dnsService;
        this.domainList = domainList;
    }

    /** The server's registry of watched files, which ControlFilesHealthCheck reports on. */
    @Inject
    public void setWatchedFiles(WatchedFiles watchedFiles) {
        this.watchedFiles = watchedFiles;
    }

    /** The name in qpsmtpd's plugins file, e.g. {@code badmailfrom}. */
    public abstract String pluginName();

    /** Reads options and opens control files; throws IllegalArgumentException naming a bad option. */
    public abstract void configure(CheckEnvironment environment);

    /** True only for relay control: the one decision allowed to answer OK. */
    protected boolean mayAccept() {
        return false;
    }

    public Verdict connect(Connection connection) {
        return Verdict.DECLINED;
    }

    public Verdict helo(Connection connection, String host) {
        return Verdict.DECLINED;
    }

    public Verdict mail(Connection connection, EnvelopeAddress sender) {
        return Verdict.DECLINED;
    }

    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        return Verdict.DECLINED;
    }

    public Verdict unrecognized(Connection connection, String command) {
        return Verdict.DECLINED;
    }

    /** After the final dot of DATA, before James queues the message (qpsmtpd's data_post). */
    public Verdict dataPost(Connection connection) {
        return Verdict.DECLINED;
    }

    public void disconnect(Connection connection) {
    }

    @Override
    public void init(Configuration configuration) throws ConfigurationException {
        JamesInternals.reportOnce();
        try {
            environment = CheckEnvironment.fromJames(Options.fromXml(configuration), fileSystem, dnsService, domainList, watchedFiles);
            configure(environment);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ConfigurationException(getClass().getName() + ": " + e.getMessage(), e);
        }
    }

    /** James stops the server: what this check opened, and its share of the DNS resolver, are let go. */
    @Override
    public void destroy() {
        try {
            release();
        } finally {
            if (environment != null) {
                environment.release();
            }
        }
    }

    /**
     * Lets go of what {@link #configure} opened beyond the environment (a shared store). Called
     * when James destroys the handler, or by the plugins-file runner for a check it replaced.
     */
    public void release() {
    }

    /**
     * False for a handler that runs other checks (the plugins file): they report their own
     * rejections under their own names, so the runner would only repeat the line.
     */
    protected boolean reportsRejections() {
        return true;
    }

    /** Runs one hook of a check; a check that fails is skipped, as qpsmtpd skips a plugin that dies. */
    private Verdict guarded(String hook, Stage stage, Connection connection, String command, Supplier<Verdict> check) {
        Verdict verdict;
        try {
            verdict = check.get();
        } catch (RuntimeException e) {
            LOGGER.error("{}: {} hook failed, skipped", pluginName(), hook, e);
            return Verdict.DECLINED;
        }
        if (verdict.code() == ReturnCode.OK && !mayAccept()) {
            LOGGER.warn("{}: OK from a check that is not relay control, ignored ({})", pluginName(), hook);
            return Verdict.DECLINED;
        }
        return reported(stage, connection, command, verdict);
    }

    /** Every verdict of every check passes here once: the place its rejection is logged. */
    private Verdict reported(Stage stage, Connection connection, String command, Verdict verdict) {
        if (verdict.code().rejects() && reportsRejections()) {
            Stage replyStage = stage == Stage.CONNECT ? verdict.connectStage() : stage;
            // a rejection before the greeting always ends the connection (onConnect, holdGreeting)
            boolean disconnects = verdict.code().disconnects() || stage == Stage.CONNECT;
            RejectLog.rejected(pluginName(), connection.remoteIp(), command, replyStage.replyLine(verdict),
                verdict.code().isTemporary(), disconnects);
        }
        return verdict;
    }

    /**
     * Holds the greeting (earlytalker); the decision taken when the wait is over is reported like
     * any verdict of a hook.
     */
    protected final void holdGreeting(Connection connection, Duration wait, Function<Boolean, Verdict> decision) {
        connection.holdGreeting(wait, talkedEarly -> reported(Stage.CONNECT, connection, RejectLog.CONNECT, decision.apply(talkedEarly)));
    }

    /** The hooks with the guard applied, as James and the plugins-file runner call them. */
    public final Verdict checkConnect(Connection connection) {
        return guarded("connect", Stage.CONNECT, connection, RejectLog.CONNECT, () -> connect(connection));
    }

    public final Verdict checkHelo(Connection connection, String host) {
        return guarded("helo", Stage.HELO, connection, RejectLog.helo(host), () -> helo(connection, host));
    }

    public final Verdict checkMail(Connection connection, EnvelopeAddress sender) {
        return guarded("mail", Stage.MAIL, connection, RejectLog.mailFrom(sender), () -> mail(connection, sender));
    }

    public final Verdict checkRcpt(Connection connection, EnvelopeAddress recipient) {
        return guarded("rcpt", Stage.RCPT, connection, RejectLog.rcptTo(recipient), () -> rcpt(connection, recipient));
    }

    public final Verdict checkUnrecognized(Connection connection, String command) {
        return guarded("unrecognized_command", Stage.UNRECOGNIZED, connection, command, () -> unrecognized(connection, command));
    }

    public final Verdict checkDataPost(Connection connection) {
        return guarded("data_post", Stage.DATA_POST, connection, RejectLog.END_OF_DATA, () -> dataPost(connection));
    }

    public final void checkDisconnect(Connection connection) {
        try {
            disconnect(connection);
        } catch (RuntimeException e) {
            LOGGER.error("{}: disconnect hook failed", pluginName(), e);
        }
    }

    @Override
    public final Response onConnect(SMTPSession session) {
        if (!SessionChannel.isOpen(session)) {
            // refused by a connection limit before us: no DNS lookups, no counting for a closed connection
            return NoReply.NONE;
        }
        Verdict verdict = checkConnect(new JamesConnection(session));
        if (!verdict.code().rejects()) {
            return NoReply.NONE;
        }
        Stage stage = verdict.connectStage();
        SMTPResponse response = new SMTPResponse(stage.replyCode(verdict.code()), stage.replyText(verdict));
        response.setEndSession(true);
        return response;
    }

    @Override
    public final void onDisconnect(SMTPSession session) {
        checkDisconnect(new JamesConnection(session));
    }

    @Override
    public final HookResult doHelo(SMTPSession session, String helo) {
        return toHookResult(Stage.HELO, checkHelo(new JamesConnection(session), helo));
    }

    @Override
    public final HookResult doMail(SMTPSession session, MaybeSender sender) {
        return toHookResult(Stage.MAIL, checkMail(new JamesConnection(session), JamesConnection.address(sender)));
    }

    @Override
    public final HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt) {
        return toHookResult(Stage.RCPT, checkRcpt(new JamesConnection(session), JamesConnection.address(rcpt)));
    }

    @Override
    public final HookResult doUnknown(SMTPSession session, String command) {
        return toHookResult(Stage.UNRECOGNIZED, checkUnrecognized(new JamesConnection(session), command));
    }

    @Override
    public final HookResult onMessage(SMTPSession session, Mail mail) {
        return toHookResult(Stage.DATA_POST, checkDataPost(new JamesConnection(session)));
    }

    public static HookResult toHookResult(Stage stage, Verdict verdict) {
        switch (verdict.code()) {
            case DECLINED:
                return HookResult.DECLINED;
            case OK:
                return HookResult.OK;
            default:
                return HookResult.builder()
                    .hookReturnCode(hookReturnCode(verdict.code()))
                    .smtpReturnCode(stage.replyCode(verdict.code()))
                    .smtpDescription(stage.replyText(verdict))
                    .build();
        }
    }

    private static HookReturnCode hookReturnCode(ReturnCode code) {
        switch (code) {
            case DENY:
                return HookReturnCode.deny();
            case DENYSOFT:
                return HookReturnCode.denySoft();
            case DENY_DISCONNECT:
                return HookReturnCode.disconnected(HookReturnCode.Action.DENY);
            case DENYSOFT_DISCONNECT:
                return HookReturnCode.disconnected(HookReturnCode.Action.DENYSOFT);
            default:
                throw new IllegalArgumentException(String.valueOf(code));
        }
    }
}
