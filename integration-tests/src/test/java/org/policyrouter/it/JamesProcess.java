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
        Path output = Files.createTempFile(workingDirectory, "james-output", ".log");
        Process process = new ProcessBuilder(command)
            .directory(workingDirectory.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
        return new JamesProcess(process, output);
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
