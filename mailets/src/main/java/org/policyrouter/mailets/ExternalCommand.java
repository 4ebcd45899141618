package org.policyrouter.mailets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs a delivery program (pipe or MDA) the safe way: argv without a shell, a clean environment
 * holding only what we pass, the message on stdin, a timeout after which the program and its
 * children are killed, and stderr captured up to a bound. The exit status is read as sysexits:
 * 0 delivered, 75 (EX_TEMPFAIL) or a timeout temporary, anything else permanent.
 */
public final class ExternalCommand {
    public static final int EX_TEMPFAIL = 75;
    static final int MAX_STDERR_BYTES = 4096;

    @FunctionalInterface
    public interface MessageWriter {
        void writeTo(OutputStream stdin) throws IOException;
    }

    /** Own threads: the common pool has one thread on 2 cores, and stdin/stderr block. */
    private static final ExecutorService STREAMS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "policyrouter-delivery-io");
        thread.setDaemon(true);
        return thread;
    });

    private final Duration timeout;

    public ExternalCommand(Duration timeout) {
        this.timeout = timeout;
    }

    public RecipientOutcome run(List<String> argv, Map<String, String> environment, MessageWriter message) {
        String name = argv.get(0);
        ProcessBuilder builder = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            // a missing or non-executable program is a configuration error the operator can fix: retry later
            return RecipientOutcome.temporaryFailure(name + ": cannot run: " + e.getMessage());
        }
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> readBounded(process.getErrorStream()), STREAMS);
        CompletableFuture<Void> stdin = CompletableFuture.runAsync(() -> feed(process, message), STREAMS);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                return RecipientOutcome.temporaryFailure(name + ": killed after the timeout of " + timeout.toSeconds() + "s");
            }
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            return RecipientOutcome.temporaryFailure(name + ": interrupted (server stopping)");
        }
        stdin.cancel(true);
        int status = process.exitValue();
        String errors = stderr.completeOnTimeout("", 5, TimeUnit.SECONDS).join().strip();
        String text = name + " exited with status " + status + (errors.isEmpty() ? "" : ": " + errors);
        if (status == 0) {
            return RecipientOutcome.delivered(name + " exited with status 0");
        }
        return status == EX_TEMPFAIL ? RecipientOutcome.temporaryFailure(text) : RecipientOutcome.permanentFailure(text);
    }

    private static void feed(Process process, MessageWriter message) {
        try (OutputStream stdin = process.getOutputStream()) {
            message.writeTo(stdin);
        } catch (IOException e) {
            // the program closed stdin early (it may not read the message at all): its exit status decides
        }
    }

    private static void kill(Process process) {
        List<ProcessHandle> family = new ArrayList<>();
        process.descendants().forEach(family::add);
        process.destroyForcibly();
        family.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Keeps the first bytes for the failure text and drains the rest so the program never blocks. */
    private static String readBounded(InputStream in) {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                int room = MAX_STDERR_BYTES - kept.size();
                if (room > 0) {
                    kept.write(buffer, 0, Math.min(room, n));
                }
            }
        } catch (IOException e) {
            // stream closed by kill
        }
        return kept.toString(StandardCharsets.UTF_8).replaceAll("[\\r\\n]+", " ");
    }
}
