package org.policyrouter.hooks.qpsmtpd;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.james.protocols.api.BaseRequest;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.ExtensibleHandler;
import org.apache.james.protocols.api.handler.WiringException;
import org.apache.james.protocols.smtp.SMTPSession;

/**
 * Accepts {@code MAIL FROM:<#@[]>}, qmail's null sender for double bounces, as {@code <>}
 * (qpsmtpd does since 0.28). James would refuse it as a syntax error before any hook runs, so
 * this is a MAIL command handler placed before James's own: it hands that one command on to
 * James's MAIL handler rewritten, and leaves every other MAIL command alone.
 *
 * <pre>&lt;handler class="org.policyrouter.hooks.qpsmtpd.QmailNullSender"/&gt;</pre>
 */
public class QmailNullSender implements CommandHandler<SMTPSession>, ExtensibleHandler {
    private static final Pattern QMAIL_NULL_SENDER = Pattern.compile("(?i)(FROM:\\s*)<#@\\[\\]>(.*)");

    private CommandHandler<SMTPSession> jamesMailHandler;

    @Override
    public Collection<String> getImplCommands() {
        return List.of("MAIL");
    }

    @Override
    public Response onCommand(SMTPSession session, Request request) {
        Optional<String> rewritten = rewrite(request.getArgument());
        if (rewritten.isEmpty() || jamesMailHandler == null) {
            return null;
        }
        return jamesMailHandler.onCommand(session, new BaseRequest(request.getCommand(), rewritten.get()));
    }

    static Optional<String> rewrite(String argument) {
        if (argument == null) {
            return Optional.empty();
        }
        Matcher matcher = QMAIL_NULL_SENDER.matcher(argument.trim());
        return matcher.matches() ? Optional.of(matcher.group(1) + "<>" + matcher.group(2)) : Optional.empty();
    }

    @Override
    public List<Class<?>> getMarkerInterfaces() {
        return List.of(CommandHandler.class);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void wireExtensions(Class<?> interfaceName, List<?> extensions) throws WiringException {
        if (!CommandHandler.class.equals(interfaceName)) {
            return;
        }
        jamesMailHandler = extensions.stream()
            .filter(handler -> !(handler instanceof QmailNullSender))
            .map(handler -> (CommandHandler<SMTPSession>) handler)
            .filter(handler -> handler.getImplCommands().contains("MAIL"))
            .findFirst()
            .orElseThrow(() -> new WiringException("QmailNullSender needs James's MAIL command handler in the chain"));
    }
}
