package org.policyrouter.server.logging;

import org.policyrouter.core.LogText;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %safeMsg}: the log message with control characters escaped ({@code \x00}, {@code \x0d}…).
 * James logs what clients send (a HELO name, an address it could not parse) as it came, NUL and
 * terminal escapes included; this keeps every entry on one line of printable text. A message
 * without control characters is written as it is, without a copy.
 *
 * <pre>
 * &lt;conversionRule conversionWord="safeMsg" converterClass="org.policyrouter.server.logging.EscapedMessageConverter"/&gt;
 * </pre>
 */
public class EscapedMessageConverter extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return LogText.escape(event.getFormattedMessage());
    }
}
