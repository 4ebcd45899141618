package org.policyrouter.hooks.limits;

import org.apache.commons.configuration2.Configuration;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.policyrouter.hooks.netty.IdleTimeouts;
import org.policyrouter.hooks.netty.JamesInternals;
import org.policyrouter.hooks.core.NoReply;

/**
 * The server's {@code <connectiontimeout>} honoured as configured: a client that sends nothing for
 * that long gets {@code 421 4.4.2 <helloName> Error: timeout exceeded} (Postfix's reply) and is
 * disconnected. James 3.8.1 alone closes silently at twice the time (its timeout handler ignores
 * Netty's first idle event).
 *
 * <pre>&lt;handler class="org.policyrouter.hooks.limits.IdleTimeout"/&gt;</pre>
 */
public class IdleTimeout implements ConnectHandler<SMTPSession> {
    @Override
    public void init(Configuration configuration) {
        JamesInternals.reportOnce();
    }

    @Override
    public Response onConnect(SMTPSession session) {
        IdleTimeouts.install(session, "421 4.4.2 " + session.getConfiguration().getHelloName() + " Error: timeout exceeded");
        return NoReply.NONE;
    }
}
