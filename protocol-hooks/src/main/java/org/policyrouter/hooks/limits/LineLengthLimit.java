package org.policyrouter.hooks.limits;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.MailEnvelope;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MessageHook;
import org.apache.james.protocols.smtp.hook.UnknownHook;
import org.policyrouter.hooks.netty.JamesInternals;
import org.policyrouter.hooks.netty.LineFraming;
import org.policyrouter.hooks.core.Options;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.policyrouter.hooks.core.NoReply;

/**
 * Long lines are taken whole, and a message with a line over the limit is refused as a whole: never
 * accepted without that line. RFC 5321 section 4.5.3.1.6 asks receivers to take at least 1,000
 * bytes (CRLF included) and "the use of larger lines" is how real mail looks; Postfix takes lines
 * of any length. James 3.8.1 stops at 8,192 bytes and, inside DATA, drops the longer line and
 * accepts the rest with 250.
 *
 * <pre>
 * &lt;handler class="org.policyrouter.hooks.limits.LineLengthLimit"&gt;
 *     &lt;maxLineLength&gt;65536&lt;/maxLineLength&gt;   &lt;!-- bytes without the CRLF --&gt;
 * &lt;/handler&gt;
 * </pre>
 *
 * A longer line inside DATA: the message is read to its end and answered once, {@code 552 5.3.4
 * Message refused: a line is longer than 65536 bytes}; nothing is delivered. A longer command line
 * gets {@code 500 5.5.2 Line too long (over 65536 bytes)}. The framer buffers a line until its end,
 * so the limit bounds the memory each connection can hold. Put it before the other handlers: its
 * data line filter must see the lines before James's own.
 */
public class LineLengthLimit implements ConnectHandler<SMTPSession>, DataLineFilter, UnknownHook, MessageHook {
    static final int DEFAULT_MAX_LINE_LENGTH = 65536;
    /** RFC 5321 4.5.3.1.6: 1,000 octets including the CRLF. */
    static final int SMALLEST = 998;
    private static final Logger LOGGER = LoggerFactory.getLogger(LineLengthLimit.class);

    private int maxLineLength = DEFAULT_MAX_LINE_LENGTH;
    private HookResult refusal = refusal(DEFAULT_MAX_LINE_LENGTH);
    private HookResult commandRefusal = commandRefusal(DEFAULT_MAX_LINE_LENGTH);

    @Override
    public void init(Configuration configuration) throws ConfigurationException {
        JamesInternals.reportOnce();
        try {
            maxLineLength = Options.fromXml(configuration).integer("maxLineLength", DEFAULT_MAX_LINE_LENGTH);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(getClass().getName() + ": " + e.getMessage(), e);
        }
        if (maxLineLength < SMALLEST) {
            throw new ConfigurationException(getClass().getName() + ": maxLineLength " + maxLineLength
                + " is below RFC 5321's minimum of " + SMALLEST + " bytes (1,000 with the CRLF)");
        }
        refusal = refusal(maxLineLength);
        commandRefusal = commandRefusal(maxLineLength);
    }

    private static HookResult refusal(int maxLineLength) {
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode("552")
            .smtpDescription("5.3.4 Message refused: a line is longer than " + maxLineLength + " bytes")
            .build();
    }

    private static HookResult commandRefusal(int maxLineLength) {
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode("500")
            .smtpDescription("5.5.2 Line too long (over " + maxLineLength + " bytes)")
            .build();
    }

    int maxLineLength() {
        return maxLineLength;
    }

    @Override
    public Response onConnect(SMTPSession session) {
        LineFraming.install(session, maxLineLength);
        return NoReply.NONE;
    }

    /** A line of the message: the marker of a too-long one is noted (once logged) and left out. */
    @Override
    public Response onLine(SMTPSession session, byte[] line, LineHandler<SMTPSession> next) {
        if (!LineFraming.isMarker(line)) {
            return next.onLine(session, line);
        }
        if (!LineFraming.lineTooLong(session)) {
            LOGGER.info("{}: a line of the message is longer than {} bytes: the message will be refused at its end", session.getSessionID(), maxLineLength);
            LineFraming.markTooLong(session);
        }
        return null;
    }

    /** A command line over the limit reaches James as the marker, an unknown command. */
    @Override
    public HookResult doUnknown(SMTPSession session, String command) {
        return LineFraming.MARKER_COMMAND.equalsIgnoreCase(command) ? commandRefusal : HookResult.DECLINED;
    }

    /** A MessageHook: runs before every JamesMessageHook, the one that queues the mail included. */
    @Override
    public HookResult onMessage(SMTPSession session, MailEnvelope mail) {
        return LineFraming.lineTooLong(session) ? refusal : HookResult.DECLINED;
    }
}
