package org.policyrouter.hooks.spp;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import org.apache.james.core.Username;
import org.apache.james.protocols.api.OidcSASLConfiguration;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.AuthHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;

/**
 * qmail-spp runs [auth] once the credentials are good. James 3.8.1 offers no point after the auth
 * hooks (its AuthCmdHandler wires no HookResultHook), so this hook, the first of them, asks the
 * others itself, as AuthCmdHandler would (the first answer that is not DECLINED counts), and runs
 * the plugins when one of them accepted.
 */
final class SppAuthHook implements AuthHook {
    private final SppRuntime runtime;
    private volatile List<AuthHook> otherHooks = List.of();

    SppAuthHook(SppRuntime runtime) {
        this.runtime = runtime;
    }

    /** The chain's auth hooks after wiring, this handler's own excluded. */
    void setOtherHooks(List<AuthHook> hooks) {
        otherHooks = List.copyOf(hooks);
    }

    @Override
    public HookResult doAuth(SMTPSession session, Username username, String password) {
        return authenticate(session, hook -> hook.doAuth(session, username, password));
    }

    @Override
    public HookResult doSasl(SMTPSession session, OidcSASLConfiguration configuration, String initialResponse) {
        return authenticate(session, hook -> hook.doSasl(session, configuration, initialResponse));
    }

    private HookResult authenticate(SMTPSession session, Function<AuthHook, HookResult> check) {
        Optional<SppSession> spp = SppAttachments.spp(session);
        if (spp.isEmpty() || !spp.get().runsPlugins(Section.AUTH)) {
            // James authenticates as usual; later plugins learn the user from noteAuthentication
            return HookResult.DECLINED;
        }
        boolean relayingBefore = session.isRelayingAllowed();
        for (AuthHook hook : otherHooks) {
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

    private HookResult afterAuthentication(SMTPSession session, SppSession spp, HookResult accepted, boolean relayingBefore) {
        PluginVerdict verdict = runtime.chain.auth(spp, SppAttachments.authMethod(session), session.getUsername().asString());
        if (verdict.kind() == PluginVerdict.Kind.PROCEED || verdict.kind() == PluginVerdict.Kind.SKIP_LATER_CHECKS) {
            VerdictReplies.print(session, PluginReply.printed(verdict));
            return accepted;
        }
        // refused by a plugin: the client is not logged in after all
        session.setUsername(null);
        session.setRelayingAllowed(relayingBefore);
        spp.unset("SMTPAUTHUSER");
        spp.unset("SMTPAUTHMETHOD");
        if (verdict.kind() == PluginVerdict.Kind.DROP) {
            VerdictReplies.print(session, PluginReply.printed(verdict));
            return HookResult.builder().hookReturnCode(HookReturnCode.disconnected(HookReturnCode.Action.NONE)).build();
        }
        return VerdictReplies.asHookResult(session, verdict);
    }
}
