package org.policyrouter.it;

import java.nio.file.Path;

import javax.inject.Inject;

import org.apache.james.filesystem.api.JamesDirectoriesProvider;
import org.apache.james.utils.GuiceProbe;

/**
 * The folder an in-JVM server runs from (a temporary one per test class): its
 * {@code var/webadmin/jwt-private.pem} signs the tests' WebAdmin tokens.
 */
public final class ServerHomeProbe implements GuiceProbe {
    private final JamesDirectoriesProvider directories;

    @Inject
    public ServerHomeProbe(JamesDirectoriesProvider directories) {
        this.directories = directories;
    }

    public Path home() {
        return Path.of(directories.getRootDirectory());
    }
}
