package org.policyrouter.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A James server running as its own process from a folder, the way operators run it: used to
 * test the start scripts, the extension jar in extensions-jars/, start-up failures and crashes.
 */
public final class JamesProcess implements AutoCloseable {
    private final Process process;
    private final Path output;

    private JamesProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    public static JamesProcess start(Path workingDirectory, List<String> command) throws IOException {
        return start(workingDirectory, command, java.util.Map.of());
    }

    /** With extra environment variables, e.g. {@code JAVA_OPTS} for the start script. */
    public static JamesProcess start(Path workingDirectory, List<String> command, java.util.Map<String, String> environment) throws IOException {
        Path output = Files.createTempFile(workingDirectory, "james-output", ".log");
        ProcessBuilder builder = new ProcessBuilder(command)
            .directory(workingDirectory.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
        builder.environment().putAll(environment);
        return new JamesProcess(builder.start(), output);
    }

    /** Waits until the port accepts connections and answers with a 220 banner. */
    public String awaitBanner(int port, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("James exited with " + process.exitValue() + ":\n" + output());
            }
            try (SmtpConversation smtp = SmtpConversation.open(port, Duration.ofSeconds(5))) {
                String banner = smtp.readReply();
                if (banner != null && banner.startsWith("220")) {
                    return banner;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("no SMTP banner on port " + port + " within " + timeout + ":\n" + output());
    }

    /** Waits for the process to exit by itself and returns its exit status. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("still running after " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    public String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook runs, like a crash or a power cut. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then wait for James's orderly stop. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            kill();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Installs the assembled distribution at {@code target} the way an operator would unpack it,
     * the read-only James libraries linked rather than copied; only the two ports change.
     */
    public static Path installDistribution(Path target, int smtpPort, int webAdminPort) throws IOException {
        Path dist = PolicyRouterJames.distribution();
        Files.createDirectories(target);
        for (String folder : List.of("conf", "bin", "extensions-jars")) {
            PolicyRouterJames.copyTree(dist.resolve(folder), target.resolve(folder));
        }
        target.resolve("bin").toFile().listFiles(f -> f.setExecutable(true));
        Files.createSymbolicLink(target.resolve("james-server-memory-app.jar"), dist.resolve("james-server-memory-app.jar"));
        Files.createSymbolicLink(target.resolve("james-server-memory-app.lib"), dist.resolve("james-server-memory-app.lib"));
        replaceIn(target.resolve("conf/smtpserver.xml"), "<bind>127.0.0.1:2525</bind>", "<bind>127.0.0.1:" + smtpPort + "</bind>");
        replaceIn(target.resolve("conf/webadmin.properties"), "port=8000", "port=" + webAdminPort);
        return target;
    }

    /** Replaces text that must be there: a shipped file that changed fails the test loudly. */
    public static void replaceIn(Path file, String from, String to) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        if (!content.contains(from)) {
            throw new IllegalStateException(file + " does not contain " + from);
        }
        Files.writeString(file, content.replace(from, to), StandardCharsets.UTF_8);
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    public static boolean isListening(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
