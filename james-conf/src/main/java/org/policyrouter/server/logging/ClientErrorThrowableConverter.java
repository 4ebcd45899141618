package org.policyrouter.server.logging;

import org.policyrouter.core.LogText;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.pattern.RootCauseFirstThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.CoreConstants;

/**
 * {@code %clientEx}: the exception of a log entry, on the entry's own line when the entry is INFO or
 * below and its logger is not at DEBUG, as a full stack trace otherwise.
 *
 * <p>James logs what a client got wrong with the whole exception at INFO: a malformed address in
 * MAIL or RCPT is a 35-line stack trace ({@code RcptCmdHandler} "Error parsing recipient address").
 * Here that entry stays one line, {@code Error parsing recipient address [to:a@b@c] (javax.mail.internet.AddressException: …)};
 * setting the logger to DEBUG brings the trace back. WARN and ERROR entries keep their traces. Use it
 * in place of {@code %n%ex} / {@code %n%rEx}: it writes its own line break before a trace, so the
 * pattern ends with {@code %clientEx%n}. Control characters in exception messages are escaped, the
 * trace's own line breaks and tabs kept.
 *
 * <p>{@code %clientEx{summary}} (the bundled console): every exception on its entry's line, at any
 * level; the stack traces are for the log file. A start refused for a broken table is then a few
 * one-line entries on the console, not 50 lines of trace before the one that matters.
 */
public class ClientErrorThrowableConverter extends RootCauseFirstThrowableProxyConverter {
    @Override
    protected String throwableProxyToString(IThrowableProxy throwable) {
        String trace = LogText.escapeKeepingLines(super.throwableProxyToString(throwable));
        // the trace ends with a line break: the pattern's %n writes the entry's last one
        int end = trace.endsWith(CoreConstants.LINE_SEPARATOR) ? trace.length() - CoreConstants.LINE_SEPARATOR_LEN : trace.length();
        return CoreConstants.LINE_SEPARATOR + trace.substring(0, end);
    }

    @Override
    public String convert(ILoggingEvent event) {
        IThrowableProxy throwable = event.getThrowableProxy();
        if (throwable == null) {
            return "";
        }
        boolean summaryOnly = "summary".equals(getFirstOption());
        if (!summaryOnly && (event.getLevel().isGreaterOrEqual(Level.WARN) || debugEnabled(event.getLoggerName()))) {
            return super.convert(event);
        }
        StringBuilder summary = new StringBuilder(" (");
        int depth = 0;
        for (IThrowableProxy cause = throwable; cause != null && depth < 10; cause = cause.getCause(), depth++) {
            if (cause != throwable) {
                summary.append("; caused by ");
            }
            summary.append(cause.getClassName());
            if (cause.getMessage() != null) {
                summary.append(": ").append(cause.getMessage());
            }
        }
        return LogText.escape(summary.append(')'));
    }

    private boolean debugEnabled(String loggerName) {
        return getContext() instanceof LoggerContext && ((LoggerContext) getContext()).getLogger(loggerName).isDebugEnabled();
    }
}
