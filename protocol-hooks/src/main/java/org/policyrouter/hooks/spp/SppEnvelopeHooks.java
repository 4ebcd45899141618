package org.policyrouter.hooks.spp;

import java.util.List;
import java.util.Optional;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;
import org.apache.james.protocols.smtp.hook.HeloHook;
import org.apache.james.protocols.smtp.hook.Hook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The envelope: [helo], [mail] and [rcpt] plugins as James hooks, with C changing the address James records.
 *
 * <p>A C at RCPT takes effect after the RCPT checks: qmail-smtpd decides rcpthosts (and computes
 * SMTPRCPTHOSTSOK) on the address the client sent, then its plugins may change it. James hands
 * every later RCPT hook the address in {@link RcptCmdHandler#CURRENT_RECIPIENT}, its own relay
 * check included, so the changed address is put there only once the last hook has declined, or
 * a hook has accepted (James then records the recipient at once): relay control, rcpt_ok and
 * James's recipient validation judge the client's address, the envelope gets the plugin's.
 */
final class SppEnvelopeHooks implements HeloHook, MailHook, RcptHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(SppEnvelopeHooks.class);
    private static final AttachmentKey<ChangedRecipient> CHANGED_RECIPIENT = AttachmentKey.of("policyrouter.spp.changedRecipient", ChangedRecipient.class);

    /** The address a C gave the current RCPT, waiting for the RCPT checks to finish. */
    private static final class ChangedRecipient {
        private final MailAddress sent;
        private final MailAddress changed;

        ChangedRecipient(MailAddress sent, MailAddress changed) {
            this.sent = sent;
            this.changed = changed;
        }
    }

    private final SppRuntime runtime;
    /** The RCPT hooks of the chain, in James's order: the changed address waits for the last one. */
    private volatile List<RcptHook> rcptHooks = List.of();

    SppEnvelopeHooks(SppRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public HookResult doHelo(SMTPSession session, String helo) {
        return SppAttachments.spp(session).map(spp -> {
            SppAttachments.noteAuthentication(session, spp);
            return VerdictReplies.asHookResult(session, runtime.chain.helo(spp, helo));
        }).orElse(HookResult.DECLINED);
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        return SppAttachments.spp(session).map(spp -> {
            SppAttachments.noteAuthentication(session, spp);
            PluginVerdict verdict = runtime.chain.mail(spp, sender.isNullSender() ? "" : sender.asString());
            verdict.changedAddress().flatMap(SppEnvelopeHooks::sender)
                .ifPresent(changed -> session.setAttachment(SMTPSession.SENDER, changed, State.Transaction));
            return VerdictReplies.asHookResult(session, verdict);
        }).orElse(HookResult.DECLINED);
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt) {
        session.removeAttachment(CHANGED_RECIPIENT, State.Transaction);
        return SppAttachments.spp(session).map(spp -> {
            SppAttachments.noteAuthentication(session, spp);
            PluginVerdict verdict = runtime.chain.rcpt(spp, rcpt.asString(), session.getRcptCount(), runtime.rcptHostsOk(session, rcpt.getDomain()));
            verdict.changedAddress().flatMap(SppEnvelopeHooks::address)
                .ifPresent(changed -> session.setAttachment(CHANGED_RECIPIENT, new ChangedRecipient(rcpt, changed), State.Transaction));
            return VerdictReplies.asHookResult(session, verdict);
        }).orElse(HookResult.DECLINED);
    }

    void setRcptHooks(List<RcptHook> hooks) {
        rcptHooks = List.copyOf(hooks);
    }

    /**
     * After each hook of a command: once the RCPT checks are over for a recipient a C changed, James
     * records the changed address (its RCPT handler records CURRENT_RECIPIENT, not what it parsed);
     * a refused recipient forgets it.
     */
    HookResult onHookResult(SMTPSession session, HookResult result, Hook hook) {
        Optional<ChangedRecipient> change = session.getAttachment(CHANGED_RECIPIENT, State.Transaction);
        if (change.isEmpty() || !(hook instanceof RcptHook)) {
            return result;
        }
        Optional<MailAddress> current = session.getAttachment(RcptCmdHandler.CURRENT_RECIPIENT, State.Transaction);
        if (current.isEmpty() || current.get() != change.get().sent) {
            // another RCPT command than the one the plugin changed (this one's hooks never reached the end)
            session.removeAttachment(CHANGED_RECIPIENT, State.Transaction);
            return result;
        }
        HookReturnCode.Action action = result.getResult().getAction();
        List<RcptHook> hooks = rcptHooks;
        boolean lastHook = !hooks.isEmpty() && hooks.get(hooks.size() - 1) == hook;
        if (action == HookReturnCode.Action.OK || (action == HookReturnCode.Action.DECLINED && lastHook)) {
            session.setAttachment(RcptCmdHandler.CURRENT_RECIPIENT, change.get().changed, State.Transaction);
            session.removeAttachment(CHANGED_RECIPIENT, State.Transaction);
        } else if (action != HookReturnCode.Action.DECLINED) {
            session.removeAttachment(CHANGED_RECIPIENT, State.Transaction);
        }
        return result;
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
        } catch (AddressException e) {
            LOGGER.warn("spp: C ignored, not an address: {}", PluginOutput.printable(address));
            return Optional.empty();
        }
    }
}
