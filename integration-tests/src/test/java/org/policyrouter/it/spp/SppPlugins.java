package org.policyrouter.it.spp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.policyrouter.it.PolicyRouterJames;

/**
 * A plugin home for one test class: a folder with {@code plugins/} and its own smtpplugins file,
 * which the shipped handler is pointed at. The handler reads the file again when it changes, so
 * each test installs the plugins it needs before it connects.
 */
final class SppPlugins {
    private final Path home;

    private SppPlugins(Path home) {
        this.home = home;
    }

    static SppPlugins create() {
        try {
            Path home = Files.createTempDirectory("spp-home");
            Files.createDirectories(home.resolve("plugins"));
            // plugins run as nobody, not as the root test JVM: they read and write here
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.setPosixFilePermissions(home.resolve("plugins"), PosixFilePermissions.fromString("rwxr-xr-x"));
            SppPlugins plugins = new SppPlugins(home);
            plugins.smtpplugins("[connection]");
            return plugins;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path home() {
        return home;
    }

    Path file(String relative) {
        return home.resolve(relative);
    }

    /** Points the shipped handler block at this home; {@code more} edits the block further (timeout, clients). */
    PolicyRouterJames.Builder configure(PolicyRouterJames.Builder builder, UnaryOperator<String> more) {
        return builder.editConf("smtpserver.xml", xml -> more.apply(xml
            .replace("<smtpplugins>conf/smtpplugins</smtpplugins>", "<smtpplugins>" + home.resolve("smtpplugins") + "</smtpplugins>")
            .replace("<home>.</home>", "<home>" + home + "</home>")
            .replace("<lookupRemoteHost>true</lookupRemoteHost>", "<lookupRemoteHost>false</lookupRemoteHost>")));
    }

    /** Replaces the smtpplugins file atomically (a new file: the handler sees the change at once). */
    void smtpplugins(String... lines) {
        write("smtpplugins", String.join("\n", lines) + "\n", false);
    }

    /** Writes an executable shell script {@code plugins/<name>}. */
    String script(String name, String... body) {
        write("plugins/" + name, "#!/bin/sh\n" + String.join("\n", body) + "\n", true);
        return "plugins/" + name;
    }

    /** Installs the shell plugin {@code spp/<name>.sh} of the test resources as {@code plugins/<name>}. */
    String install(String name) {
        try (var in = SppPlugins.class.getResourceAsStream("/spp/" + name + ".sh")) {
            if (in == null) {
                throw new IllegalStateException("no test resource spp/" + name + ".sh");
            }
            write("plugins/" + name, new String(in.readAllBytes(), StandardCharsets.UTF_8), true);
            return "plugins/" + name;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compiles {@code spp/<name>.c} from the test resources into {@code plugins/<name>} with gcc. */
    String compile(String name) {
        try {
            Path source = home.resolve(name + ".c");
            try (var in = SppPlugins.class.getResourceAsStream("/spp/" + name + ".c")) {
                if (in == null) {
                    throw new IllegalStateException("no test resource spp/" + name + ".c");
                }
                Files.copy(in, source, StandardCopyOption.REPLACE_EXISTING);
            }
            Path binary = home.resolve("plugins").resolve(name);
            Process gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Werror", "-o", binary.toString(), source.toString())
                .redirectErrorStream(true).start();
            String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
                throw new IllegalStateException("gcc failed for " + name + ".c: " + output);
            }
            return "plugins/" + name;
        } catch (IOException e) {
            throw new IllegalStateException("gcc is needed to build the C plugins (listed in .ci/apt-packages): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String read(String relative) {
        try {
            return Files.readString(home.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> lines(String relative) {
        try {
            return Files.exists(home.resolve(relative)) ? Files.readAllLines(home.resolve(relative)) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void write(String relative, String content) {
        write(relative, content, false);
    }

    private void write(String relative, String content, boolean executable) {
        try {
            Path target = home.resolve(relative);
            Path temporary = Files.createTempFile(target.getParent(), ".new-", "");
            Files.writeString(temporary, content);
            // plugins run as nobody: they read these files, and some append to them
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-rw-rw-"));
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
