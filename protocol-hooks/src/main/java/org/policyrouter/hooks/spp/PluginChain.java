package org.policyrouter.hooks.spp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.policyrouter.core.LogText;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.RejectLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * qmail-spp's per-command entry points (spp_connect, spp_helo, spp_mail, spp_rcpt, spp_data,
 * spp_auth): set the command's variables, show queued LM/LR/LD errors, run the section's plugins
 * in file order and turn their commands into one {@link PluginVerdict}.
 */
public final class PluginChain {
    private static final Logger LOGGER = LoggerFactory.getLogger(PluginChain.class);

    private final PluginRunner runner;

    public PluginChain(PluginRunner runner) {
        this.runner = runner;
    }

    public PluginVerdict connect(SppSession session) {
        return run(Section.CONNECTION, session, RejectLog.CONNECT, Optional.empty());
    }

    public PluginVerdict helo(SppSession session, String heloHost) {
        session.set("SMTPHELOHOST", heloHost);
        return run(Section.HELO, session, RejectLog.helo(heloHost), Optional.empty());
    }

    /** @param sender the MAIL FROM address without brackets, empty for the null sender */
    public PluginVerdict mail(SppSession session, String sender) {
        String command = RejectLog.mailFrom(EnvelopeAddress.parse(sender));
        Optional<PluginVerdict> queued = queuedErrors(Section.MAIL, session, command);
        if (queued.isPresent()) {
            return queued.get();
        }
        session.startTransaction();
        session.set("SMTPMAILFROM", sender);
        return run(Section.MAIL, session, command, Optional.of(sender));
    }

    /**
     * @param accepted    RCPTs accepted so far in this transaction (SMTPRCPTCOUNT)
     * @param rcptHostsOk whether the server would take this recipient without a plugin: the client
     *                    may relay or the domain is ours (qmail's rcpthosts; SMTPRCPTHOSTSOK)
     */
    public PluginVerdict rcpt(SppSession session, String recipient, int accepted, boolean rcptHostsOk) {
        String command = RejectLog.rcptTo(EnvelopeAddress.parse(recipient));
        Optional<PluginVerdict> queued = queuedErrors(Section.RCPT, session, command);
        if (queued.isPresent()) {
            return queued.get();
        }
        session.set("SMTPRCPTCOUNT", Integer.toString(accepted));
        session.set("SMTPRCPTCOUNTALL", Integer.toString(session.countRcpt()));
        session.set("SMTPRCPTHOSTSOK", rcptHostsOk ? "1" : "0");
        session.set("SMTPRCPTTO", recipient);
        return run(Section.RCPT, session, command, Optional.of(recipient));
    }

    public PluginVerdict data(SppSession session) {
        return queuedErrors(Section.DATA, session, "DATA").orElseGet(() -> run(Section.DATA, session, "DATA", Optional.empty()));
    }

    /** @param method the mechanism in lower case, as qmail's AUTH patches name it (login, plain, cram-md5) */
    public PluginVerdict auth(SppSession session, String method, String user) {
        session.set("SMTPAUTHMETHOD", method);
        session.set("SMTPAUTHUSER", user);
        return run(Section.AUTH, session, "AUTH " + method + " " + user, Optional.empty());
    }

    /** The errors LM/LR/LD queued for this command, which answer it before any plugin runs. */
    private static Optional<PluginVerdict> queuedErrors(Section section, SppSession session, String command) {
        List<ReplyLine> queued = session.laterErrors(section);
        if (queued.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(reported(session, session.laterErrorSource(section).map(PluginLine::programName).orElse("?"), command,
            PluginVerdict.reject(queued)));
    }

    /** Every rejecting verdict of a plugin passes here once: the reject log line naming the plugin. */
    private static PluginVerdict reported(SppSession session, String program, String command, PluginVerdict verdict) {
        PluginVerdict.Kind kind = verdict.kind();
        if (kind == PluginVerdict.Kind.REJECT || kind == PluginVerdict.Kind.REJECT_AND_DROP || kind == PluginVerdict.Kind.DROP) {
            String client = Optional.ofNullable(session.variable("TCPREMOTEIP")).orElse("unknown");
            boolean temporary = verdict.finalReply().map(reply -> reply.code().startsWith("4")).orElse(false);
            RejectLog.rejected("spp " + program, client, command, String.join(" ", verdict.replyLines()), temporary,
                kind != PluginVerdict.Kind.REJECT);
        }
        return verdict;
    }

    private PluginVerdict run(Section section, SppSession session, String smtpCommand, Optional<String> address) {
        List<ReplyLine> printed = new ArrayList<>();
        Optional<String> changed = Optional.empty();
        for (PluginLine plugin : session.plugins().plugins(section)) {
            if (!session.isActive()) {
                break;
            }
            PluginRun run = runner.run(plugin, session.environment());
            PluginOutput output = run.output();
            LOGGER.debug("spp [{}] {}: {} in {} ms, {}", section.sectionName(), plugin, run.outcome(), run.elapsed().toMillis(), LogText.escape(output.commands()));
            output.problems().forEach(problem -> LOGGER.warn("spp [{}] {} ({}): {}", section.sectionName(), plugin, plugin.location(), problem));
            if (output.terminator().isEmpty() && run.outcome() != PluginRun.Outcome.COMPLETED) {
                // qmail-spp: 451 for this command. Unlike qmail-spp, a failed plugin's other output has no effect
                LOGGER.warn("spp [{}] {} ({}): {} ({})", section.sectionName(), plugin, plugin.location(), run.outcome().reason(), run.detail());
                return reported(session, plugin.programName(), smtpCommand, PluginVerdict.of(PluginVerdict.Kind.REJECT,
                    List.of(ReplyLine.failure(plugin.programName(), run.outcome().reason())), printed, changed));
            }
            if (run.outcome() != PluginRun.Outcome.COMPLETED) {
                // the verdict was complete before: it stands, where qmail-spp would add a second reply (451)
                LOGGER.info("spp [{}] {}: {} after its answer ({}), answer kept", section.sectionName(), plugin, run.outcome().reason(), run.detail());
            }
            for (PluginCommand command : output.commands()) {
                switch (command.kind()) {
                    case SET:
                        session.set(command.variable(), command.value());
                        break;
                    case UNSET:
                        session.unset(command.variable());
                        break;
                    case HEADER:
                        session.addHeader(command.value());
                        break;
                    case LATER:
                        session.addLaterError(command.laterSection(), command.reply(), plugin);
                        break;
                    case PRINT:
                        printed.add(command.reply());
                        break;
                    case CHANGE:
                        if (address.isPresent()) {
                            changed = Optional.of(command.value());
                            session.set(section == Section.MAIL ? "SMTPMAILFROM" : "SMTPRCPTTO", command.value());
                        } else {
                            LOGGER.warn("spp [{}] {}: C ignored: this command has no address", section.sectionName(), plugin);
                        }
                        break;
                    case ACCEPT:
                        session.acceptForSession();
                        return PluginVerdict.of(PluginVerdict.Kind.PROCEED, List.of(), printed, changed);
                    case NEXT:
                        return PluginVerdict.of(PluginVerdict.Kind.PROCEED, List.of(), printed, changed);
                    case OK:
                        return PluginVerdict.of(section.canSkipLaterChecks() ? PluginVerdict.Kind.SKIP_LATER_CHECKS : PluginVerdict.Kind.PROCEED,
                            List.of(), printed, changed);
                    case ERROR:
                        return reported(session, plugin.programName(), smtpCommand,
                            PluginVerdict.of(PluginVerdict.Kind.REJECT, List.of(command.reply()), printed, changed));
                    case REJECT:
                        return reported(session, plugin.programName(), smtpCommand,
                            PluginVerdict.of(PluginVerdict.Kind.REJECT_AND_DROP, List.of(command.reply()), printed, changed));
                    case DROP:
                        return reported(session, plugin.programName(), smtpCommand,
                            PluginVerdict.of(PluginVerdict.Kind.DROP, List.of(), printed, changed));
                    default:
                        throw new IllegalStateException("unhandled " + command.kind());
                }
            }
        }
        return PluginVerdict.of(PluginVerdict.Kind.PROCEED, List.of(), printed, changed);
    }
}
