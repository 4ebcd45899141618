package org.policyrouter.core.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Reads one output stream of a program to its end: keeps up to the limit and drains the rest, so
 * the program never blocks on a full pipe. With a last-line predicate it stops after that line
 * and closes the pipe.
 */
final class OutputPump implements Runnable {
    private final InputStream in;
    private final int limit;
    private final Optional<Predicate<String>> lastLine;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean truncated;

    OutputPump(InputStream in, int limit, Optional<Predicate<String>> lastLine) {
        this.in = in;
        this.limit = limit;
        this.lastLine = lastLine;
    }

    @Override
    public void run() {
        // The JDK closes a process's output stream when the process exits, unless a read holds
        // the stream's lock (ProcessPipeInputStream.processExited). Holding it for the whole pump
        // makes end of file mean that every writer closed the pipe, a child left behind included.
        synchronized (in) {
            try (in) {
                pump();
            } catch (IOException e) {
                // the stream broke (the group was killed): what was read so far is kept
            } finally {
                done.complete(null);
            }
        }
    }

    private void pump() throws IOException {
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            if (!keep(buffer, n)) {
                return;
            }
        }
    }

    /** @return whether to read on */
    private synchronized boolean keep(byte[] buffer, int n) {
        for (int i = 0; i < n; i++) {
            if (kept.size() >= limit) {
                truncated = true;
                // past the limit only draining goes on, and no line can end the reading any more
                return true;
            }
            kept.write(buffer[i]);
            if (lastLine.isEmpty()) {
                continue;
            }
            if (buffer[i] != '\n') {
                line.write(buffer[i]);
                continue;
            }
            String complete = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (lastLine.get().test(complete)) {
                return false;
            }
        }
        return true;
    }

    CompletableFuture<Void> done() {
        return done;
    }

    synchronized CapturedOutput captured() {
        return new CapturedOutput(kept.toByteArray(), truncated);
    }
}
