package org.policyrouter.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Real unix users with a Maildir, for tests of a real MDA (needs root, like an MDA does). */
public final class UnixUsers {
    private UnixUsers() {
    }

    /** Creates the user (if absent) with a Maildir and a maildrop filter delivering into it. */
    public static Path userWithMaildir(String user) throws IOException, InterruptedException {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("creating unix users for the MDA test needs root (CI runs as root)");
        }
        if (run("id", user) != 0 && run("useradd", "--create-home", "--shell", "/bin/sh", user) != 0) {
            throw new IllegalStateException("useradd " + user + " failed");
        }
        Path home = Path.of("/home", user);
        for (String sub : List.of("cur", "new", "tmp")) {
            Files.createDirectories(home.resolve("Maildir").resolve(sub));
        }
        Files.writeString(home.resolve(".mailfilter"), "DEFAULT=\"$HOME/Maildir\"\n");
        if (run("chown", "-R", user, home.toString()) != 0 || run("chmod", "600", home.resolve(".mailfilter").toString()) != 0) {
            throw new IllegalStateException("cannot prepare the home of " + user);
        }
        return home.resolve("Maildir");
    }

    public static String requireProgram(String path, String debianPackage) {
        if (!Files.isExecutable(Path.of(path))) {
            throw new IllegalStateException(path + " is missing: install the Debian package " + debianPackage + " (.ci/run does)");
        }
        return path;
    }

    private static int run(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
}
