package org.policyrouter.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.apache.james.ExtraProperties;
import org.apache.james.FakeSearchMailboxModule;
import org.apache.james.GuiceJamesServer;
import org.apache.james.MemoryJamesConfiguration;
import org.apache.james.MemoryJamesServerMain;
import org.apache.james.modules.RunArgumentsModule;
import org.policyrouter.core.webadmin.WebAdminKeys;
import org.policyrouter.spool.SpoolQueueModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bundled server: James's memory app, composed with our modules. Tests build the same
 * composition through {@link #createServer}.
 */
public final class PolicyRouterServer {
    private static final Logger LOGGER = LoggerFactory.getLogger(PolicyRouterServer.class);

    private PolicyRouterServer() {
    }

    public static void main(String[] args) {
        // James would System.exit(1) after logging the whole exception chain; we explain it instead
        System.setProperty("james.exit.on.startup.error", "false");
        ExtraProperties.initialize();
        MemoryJamesConfiguration configuration = MemoryJamesConfiguration.builder()
            .useWorkingDirectoryEnvProperty()
            .build();
        GuiceJamesServer server;
        try {
            server = createServer(configuration).overrideWith(new RunArgumentsModule(args));
        } catch (UncheckedIOException e) {
            // var/ not writable by the server's user (the WebAdmin key pair is made there first)
            System.err.println("james-policy-router: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        try {
            server.start();
        } catch (Throwable e) {
            // One clear line instead of Guice's wall of nested exceptions; the full trace goes to the log.
            LOGGER.debug("start-up failure", e);
            stopQuietly(server);
            System.err.println("james-policy-router: cannot start: " + StartupFailure.explain(e));
            System.exit(1);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "james-policy-router-shutdown"));
    }

    public static GuiceJamesServer createServer(MemoryJamesConfiguration configuration) {
        // WebAdmin's JWT key pair (conf/webadmin.properties reads the public key from var/webadmin/)
        // must exist before James reads its configuration: made here rather than in the launcher, so
        // that the tests' in-JVM servers and every launcher (bin/, Docker, systemd) get it alike
        ensureWebAdminKeys(Paths.get(configuration.directories().getRootDirectory()));
        return MemoryJamesServerMain.createServer(configuration)
            .combineWith(new FakeSearchMailboxModule())
            // the durable file spool instead of the memory app's in-memory queue
            .overrideWith(new SpoolQueueModule());
    }

    private static void ensureWebAdminKeys(Path home) {
        try {
            if (WebAdminKeys.ensure(home)) {
                LOGGER.info("WebAdmin: made the JWT key pair {} (private, 0600) and {}", WebAdminKeys.PRIVATE_KEY, WebAdminKeys.PUBLIC_KEY);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make WebAdmin's JWT key pair under " + home.resolve(WebAdminKeys.DIRECTORY) + ": " + e.getMessage(), e);
        }
    }

    private static void stopQuietly(GuiceJamesServer server) {
        try {
            server.stop();
        } catch (RuntimeException ignored) {
            // a half-started server may fail to stop; we are exiting anyway
        }
    }
}
