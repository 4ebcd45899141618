package org.policyrouter.hooks.core;

import org.policyrouter.core.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one line an operator greps for when a client was refused: which check, which client, what
 * it sent and what it was answered, e.g. {@code badrcptto: 192.0.2.7 RCPT TO:<closed@example.com>
 * -> 550 5.7.1 mail to closed@example.com not accepted here}. James itself only logs
 * {@code HookResultLogger ... (DENY CONNECTED)}, naming neither check nor reply. Its own logger
 * ({@value #LOGGER_NAME}, INFO) so operators can route these lines to a file of their own.
 */
public final class RejectLog {
    public static final String LOGGER_NAME = "org.policyrouter.reject";
    private static final Logger LOGGER = LoggerFactory.getLogger(LOGGER_NAME);
    /** The commands as the line shows them: what the client sent, as far as a hook can know it. */
    public static final String CONNECT = "connect";
    public static final String END_OF_DATA = "end of DATA";

    private RejectLog() {
    }

    /**
     * @param reply the reply as sent ({@code 550 5.7.1 text}; several lines joined by a space), or
     *              empty when the connection was dropped without one
     */
    public static void rejected(String check, String clientIp, String command, String reply, boolean temporary, boolean disconnects) {
        if (!LOGGER.isInfoEnabled()) {
            return;
        }
        String line = check + ": " + clientIp + " " + command + " -> " + (reply.isEmpty() ? "no reply" : reply)
            + (temporary && disconnects ? " [temporary, disconnect]" : temporary ? " [temporary]" : disconnects ? " [disconnect]" : "");
        // addresses, HELO names and replies come from the client or a plugin: one printable line
        LOGGER.info("{}", LogText.escape(line));
    }

    /** James calls the same hook for HELO and EHLO and records which one only after it. */
    public static String helo(String host) {
        return "HELO/EHLO " + host;
    }

    public static String mailFrom(EnvelopeAddress sender) {
        return "MAIL FROM:" + sender.format();
    }

    public static String rcptTo(EnvelopeAddress recipient) {
        return "RCPT TO:" + recipient.format();
    }
}
