package org.policyrouter.hooks.spp;

import java.util.Optional;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;
import org.apache.james.protocols.smtp.hook.HeloHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The envelope: [helo], [mail] and [rcpt] plugins as James hooks, with C changing the address James records. */
final class SppEnvelopeHooks implements HeloHook, MailHook, RcptHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(SppEnvelopeHooks.class);

    private final SppRuntime runtime;

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
        return SppAttachments.spp(session).map(spp -> {
            SppAttachments.noteAuthentication(session, spp);
            PluginVerdict verdict = runtime.chain.rcpt(spp, rcpt.asString(), session.getRcptCount(), runtime.rcptHostsOk(session, rcpt.getDomain()));
            // James's RCPT handler records this attachment, not the address it parsed
            verdict.changedAddress().flatMap(SppEnvelopeHooks::address)
                .ifPresent(changed -> session.setAttachment(RcptCmdHandler.CURRENT_RECIPIENT, changed, State.Transaction));
            return VerdictReplies.asHookResult(session, verdict);
        }).orElse(HookResult.DECLINED);
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
