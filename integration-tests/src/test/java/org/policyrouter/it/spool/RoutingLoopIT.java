package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;

/**
 * Issue 19, item 4, through the bundled server: {@code queue/transport} hands every mail back to
 * routing. Before, each such mail recursed until a StackOverflowError, and again at every start.
 * Now the hop count stops it: the sender gets one report (5.4.6 routing loop detected), and the
 * server goes on delivering.
 */
class RoutingLoopIT {
    static final EnvelopeRecordingSink SENDER_DOMAIN = EnvelopeRecordingSink.start();
    static final EnvelopeRecordingSink NEXT_HOP = EnvelopeRecordingSink.start();
    static final ListAppender<ILoggingEvent> LOG = captureEverything();

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "loop.example queue/transport\n"
            + "client.example " + SENDER_DOMAIN.hostAndPort() + "\n"
            + "fine.example " + NEXT_HOP.hostAndPort() + "\n")
        .build();

    static ListAppender<ILoggingEvent> captureEverything() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(appender);
        return appender;
    }

    @AfterAll
    static void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(LOG);
        SENDER_DOMAIN.close();
        NEXT_HOP.close();
    }

    private static boolean mentionsStackOverflow(ILoggingEvent event) {
        if (event.getFormattedMessage().contains("StackOverflowError")) {
            return true;
        }
        for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
            if (t.getClassName().equals(StackOverflowError.class.getName())) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aMailRoutedBackIntoRoutingIsBouncedOnceAsALoopAndTheServerKeepsDelivering(GuiceJamesServer server) throws Exception {
        DeferredQueueIT.send(server, List.of("user@loop.example", "USER@loop.example"), "goes round in circles");

        EnvelopeRecordingSink.Received report = SENDER_DOMAIN.awaitReportAbout("user@loop.example");
        assertThat(report.sender).as("a report comes from <>").isEmpty();
        assertThat(report.message).contains("Action: failed", "5.4.6 routing loop detected", "Final-Recipient: rfc822; USER@loop.example");

        // the server still works, and the report is not repeated
        DeferredQueueIT.send(server, "someone@fine.example", "after the loop");
        NEXT_HOP.awaitReportAbout("after the loop");
        Thread.sleep(3000);
        assertThat(SENDER_DOMAIN.received().stream().filter(r -> r.message.contains("loop.example"))).hasSize(1);
        assertThat(LOG.list.stream().filter(RoutingLoopIT::mentionsStackOverflow).map(ILoggingEvent::getFormattedMessage)
            .collect(Collectors.toList())).isEmpty();
    }
}
