package org.policyrouter.core.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Puts util-linux setpriv in front of a program so it runs as its {@link RunAs}, the way
 * Postfix's pipe(8) and local(8) switch ids before exec: by the server, not by trusting the
 * program's own flags, and without a shell. Only a server running as root can switch; one that
 * does not runs every program as its own (unprivileged) user, and says so once in the log.
 */
final class PrivilegeDrop {
    private static final List<Path> SETPRIV = List.of(Path.of("/usr/bin/setpriv"), Path.of("/bin/setpriv"));
    private static final System.Logger LOG = System.getLogger(PrivilegeDrop.class.getName());
    private static final AtomicBoolean TOLD_NOT_ROOT = new AtomicBoolean();

    private final boolean serverIsRoot;
    private final Optional<Path> setpriv;

    PrivilegeDrop(boolean serverIsRoot, Optional<Path> setpriv) {
        this.serverIsRoot = serverIsRoot;
        this.setpriv = setpriv;
    }

    static PrivilegeDrop system() {
        return new PrivilegeDrop(effectiveUidIsRoot(), SETPRIV.stream().filter(Files::isExecutable).findFirst());
    }

    /**
     * The words to put before the program's argv; empty when no switch is asked for or possible.
     *
     * @throws IllegalStateException when the server is root, a switch is asked for and setpriv is missing:
     *                               the program would otherwise run as root
     */
    List<String> prefix(Optional<RunAs> runAs) {
        if (runAs.isEmpty()) {
            return List.of();
        }
        if (!serverIsRoot) {
            if (TOLD_NOT_ROOT.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.INFO, "the server does not run as root: external programs run as the server's own user, not as "
                    + runAs.get());
            }
            return List.of();
        }
        Path program = setpriv.orElseThrow(() -> new IllegalStateException(
            "setpriv (util-linux) not found: refusing to run a program as root"));
        List<String> prefix = new ArrayList<>();
        prefix.add(program.toString());
        prefix.addAll(runAs.get().setprivOptions());
        prefix.add("--");
        return prefix;
    }

    /**
     * The effective uid from {@code /proc/self/status} ("Uid: real effective saved fs"); when
     * that cannot be read, root is assumed, so the switch is tried rather than skipped.
     */
    private static boolean effectiveUidIsRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).trim().split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no /proc: fall through
        }
        return true;
    }
}
