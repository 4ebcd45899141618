package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import javax.mail.MessagingException;

import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: the server refuses to start with a {@code queue/NAME} rule James has no processor for, as {@code check} does. */
class UnknownProcessorStartTest {
    @TempDir
    Path workingDirectory;

    @BeforeEach
    void conf() throws Exception {
        Files.createDirectories(workingDirectory.resolve("conf/policy"));
        Files.writeString(workingDirectory.resolve("conf/mailetcontainer.xml"),
            "<mailetcontainer><processors><processor state=\"root\"/><processor state=\"robots\"/></processors></mailetcontainer>");
    }

    private void start() throws MessagingException {
        RoutePolicy routePolicy = new RoutePolicy(new WorkingDirectoryFileSystem(workingDirectory));
        try {
            routePolicy.init(FakeMailetConfig.builder().mailetName("route").mailetContext(FakeMailContext.defaultContext())
                .setProperty("reloadInterval", "0").build());
        } finally {
            routePolicy.destroy();
        }
    }

    @Test
    void aQueueNextHopToAMissingProcessorStopsTheStartNamingTheLine() throws Exception {
        Files.writeString(workingDirectory.resolve("conf/policy/transport"), "a.example queue/robots\nb.example queue/robtos\n");

        assertThatThrownBy(this::start).isInstanceOf(MessagingException.class)
            .hasMessageContaining("transport:2: queue/robtos: no such processor in " + workingDirectory.resolve("conf/mailetcontainer.xml"));
    }

    @Test
    void builtInQueuePluginsAndExistingProcessorsStart() throws Exception {
        Files.writeString(workingDirectory.resolve("conf/policy/transport"), "a.example queue/robots\nb.example queue/maildir\n"
            + "c.example queue/qmail-queue\nd.example queue/smtp-forward 10.0.0.1 25\n");

        assertThatCode(this::start).doesNotThrowAnyException();
    }
}
