package org.policyrouter.hooks.state;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** What the private database servers of the tests (PostgreSQL, Redis) need from the system: an unprivileged place to run. */
final class TestServers {
    private TestServers() {
    }

    static boolean isRoot() {
        try {
            Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            id.waitFor(10, TimeUnit.SECONDS);
            return "0".equals(uid);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** java.io.tmpdir when the unprivileged user can traverse every directory down to it, else /tmp. */
    static Path traversableBase() throws IOException {
        Path base = Paths.get(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        for (Path directory = base; directory != null; directory = directory.getParent()) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory);
            if (!permissions.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                return Paths.get("/tmp");
            }
        }
        return base;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory: the system cleans it eventually
        }
    }
}
