package org.policyrouter.hooks.spp;

import java.util.List;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.policyrouter.hooks.netty.SessionTransport;

/** A plugin verdict carried out in James: as a hook result, or as the reply of a command handler. */
final class VerdictReplies {
    private VerdictReplies() {
    }

    /** As a hook result: N and A are DECLINED (James's own checks still run), O is OK. */
    static HookResult asHookResult(SMTPSession session, PluginVerdict verdict) {
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
                return rejection(verdict.finalReply().orElseThrow(), verdict.kind() == PluginVerdict.Kind.REJECT_AND_DROP);
            case DROP:
                // James writes the hook's reply after this; the channel is closed by then, so nothing arrives
                SessionTransport.write(session, Response.DISCONNECT);
                return HookResult.DENY;
            default:
                throw new IllegalStateException("unhandled " + verdict.kind());
        }
    }

    /**
     * As the reply of a command handler (not a hook): P lines and the plugin's reply exactly as
     * written, or null to let James answer.
     */
    static Response asCommandReply(SMTPSession session, PluginVerdict verdict, boolean rejectionCloses) {
        List<String> lines = PluginReply.printed(verdict);
        switch (verdict.kind()) {
            case REJECT:
            case REJECT_AND_DROP:
                lines.addAll(verdict.replyLines());
                return rejectionCloses || verdict.kind() == PluginVerdict.Kind.REJECT_AND_DROP ? PluginReply.closing(lines) : PluginReply.of(lines);
            case DROP:
                print(session, lines);
                return Response.DISCONNECT;
            default:
                print(session, lines);
                return null;
        }
    }

    /** Lines sent before the reply James will write (P lines, continuation lines of a rejection). */
    static void print(SMTPSession session, List<String> lines) {
        if (!lines.isEmpty()) {
            SessionTransport.write(session, PluginReply.of(lines));
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
}
