package org.policyrouter.mailets;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.policyrouter.core.process.UnixAccounts;

/**
 * Real unix accounts a test class creates and removes (the test JVM runs as root): an MDA user
 * with a home and a supplementary group, and a second name for uid 0 such as BSD's {@code toor}.
 * {@code @RegisterExtension static TestAccounts accounts = new TestAccounts();}
 */
final class TestAccounts implements BeforeAllCallback, AfterAllCallback {
    static final String MDA_USER = "prtest-mda";
    static final String TOOR = "prtest-toor";

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        createMdaUser();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        remove();
    }

    /** The MDA user's home. */
    Path home() {
        return Path.of("/home", MDA_USER);
    }

    private static void createMdaUser() throws Exception {
        remove();
        run("useradd", "--create-home", "--shell", "/bin/sh", "--groups", "mail", MDA_USER);
        // a second name for uid 0, no home: what the MDA must refuse
        run("useradd", "--non-unique", "--uid", "0", "--gid", "0", "--no-create-home", "--home-dir", "/root", TOOR);
        UnixAccounts.system().forget();
    }

    static void remove() throws Exception {
        quietly("userdel", "--force", "--remove", MDA_USER);
        // --force: root's processes run under the same uid
        quietly("userdel", "--force", TOOR);
        UnixAccounts.system().forget();
    }

    private static void run(String... command) throws IOException, InterruptedException {
        int status = quietly(command);
        if (status != 0) {
            throw new IllegalStateException(List.of(command) + " exited " + status);
        }
    }

    private static int quietly(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
}
