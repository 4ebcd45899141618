package org.policyrouter.hooks.core;

import java.util.List;
import java.util.stream.Collectors;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** The lines of the reject log written while a test runs; close it to stop listening. */
public final class RejectLines implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger(RejectLog.LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public RejectLines() {
        appender.start();
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
    }

    public List<String> lines() {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    public List<Level> levels() {
        return appender.list.stream().map(ILoggingEvent::getLevel).collect(Collectors.toList());
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}
