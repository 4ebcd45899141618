package org.policyrouter.hooks.spp;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * Starts one plugin the way qmail-spp does (stdin closed, stdout read for commands, stderr to the
 * log, working directory the plugin home) and fixes what qmail-spp leaves open: a timeout after
 * which the plugin and everything it started are killed, a bound on what is read from stdout, and
 * no wait on children that keep stdout open after the plugin exited.
 *
 * <p>The plugin is started through {@code setsid} when available, so it leads its own process
 * group and a timeout can kill the whole group (a shell line's children included) with one
 * signal. Without setsid only the process and its visible descendants are killed.
 */
public final class PluginRunner {
    /** qmail-spp's child exits 120 when execv fails; plugins are told never to use it. */
    static final int EXEC_FAILED = 120;
    /** sh and setsid: found but not executable, not found. */
    private static final int SHELL_CANNOT_EXECUTE = 126;
    private static final int SHELL_NOT_FOUND = 127;
    /** How long output may stay open after the plugin exited (a child it left behind holds it). */
    private static final Duration AFTER_EXIT = Duration.ofMillis(200);
    private static final int MAX_STDERR_LINES = 50;
    private static final int MAX_LOGGED_LINE = 1000;

    /** Blocking pipe readers; their own threads, never the caller's or a shared pool's. */
    private static final ExecutorService PIPES = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "spp-plugin-pipe");
        thread.setDaemon(true);
        return thread;
    });

    private final Path home;
    private final Duration timeout;
    private final int maxOutputBytes;
    private final Optional<Path> setsid;
    private final BiConsumer<PluginLine, String> stderrLog;

    /**
     * @param stderrLog receives each stderr line with its plugin (the James adapter logs it)
     */
    public PluginRunner(Path home, Duration timeout, int maxOutputBytes, Optional<Path> setsid, BiConsumer<PluginLine, String> stderrLog) {
        this.home = home;
        this.timeout = timeout;
        this.maxOutputBytes = maxOutputBytes;
        this.setsid = setsid.filter(Files::isExecutable);
        this.stderrLog = stderrLog;
    }

    public Path home() {
        return home;
    }

    public Duration timeout() {
        return timeout;
    }

    public PluginRun run(PluginLine plugin, Map<String, String> environment) {
        if (!plugin.runsThroughShell()) {
            Path program = plugin.program(home);
            if (!Files.isRegularFile(program) || !Files.isExecutable(program)) {
                return PluginRun.cannotExecute(program + (Files.exists(program) ? " is not an executable file" : " does not exist"));
            }
        }
        List<String> command = new ArrayList<>();
        setsid.ifPresent(path -> command.add(path.toString()));
        command.addAll(plugin.argv(home));
        ProcessBuilder builder = new ProcessBuilder(command)
            .directory(home.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(environment);

        long start = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return PluginRun.cannotExecute(e.getMessage());
        }
        StdoutReader stdout = new StdoutReader(process.getInputStream(), maxOutputBytes);
        Future<?> reading = PIPES.submit(stdout);
        PIPES.submit(() -> logStderr(plugin, process.getErrorStream()));
        return awaitEnd(process, stdout, reading, start);
    }

    private PluginRun awaitEnd(Process process, StdoutReader stdout, Future<?> reading, long start) {
        boolean exited;
        try {
            exited = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exited = false;
        }
        if (!exited) {
            kill(process);
            awaitQuietly(reading, Duration.ofSeconds(1));
            return finish(PluginRun.Outcome.TIMED_OUT, -1, stdout, start, "killed after " + timeout.toMillis() + " ms");
        }
        if (!awaitQuietly(reading, AFTER_EXIT)) {
            // the plugin is gone but something it started still holds stdout: qmail-spp would wait forever
            kill(process);
            awaitQuietly(reading, Duration.ofSeconds(1));
        }
        int status = process.exitValue();
        return finish(outcomeOf(status), status, stdout, start, "exit status " + status);
    }

    private PluginRun.Outcome outcomeOf(int status) {
        if (status == EXEC_FAILED) {
            return PluginRun.Outcome.CANNOT_EXECUTE;
        }
        // through sh or setsid, a program that cannot be run shows as 126/127 instead of an exec error
        if (status == SHELL_CANNOT_EXECUTE || status == SHELL_NOT_FOUND) {
            return PluginRun.Outcome.CANNOT_EXECUTE;
        }
        // Java reports death by signal N as 128 + N (as shells do)
        if (status > 128) {
            return PluginRun.Outcome.CRASHED;
        }
        return PluginRun.Outcome.COMPLETED;
    }

    private static PluginRun finish(PluginRun.Outcome outcome, int status, StdoutReader stdout, long start, String detail) {
        return new PluginRun(outcome, status, stdout.lines(), stdout.cut(), Duration.ofNanos(System.nanoTime() - start), detail);
    }

    private static boolean awaitQuietly(Future<?> future, Duration wait) {
        try {
            future.get(wait.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    private void kill(Process process) {
        if (setsid.isPresent()) {
            // the plugin leads its own group (pgid = pid): one signal reaches all it started
            killGroup(process.pid());
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void killGroup(long processGroup) {
        try {
            // Java has no killpg; the shell's kill builtin takes a negative pid as a group
            Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -KILL -" + processGroup + " 2>/dev/null")
                .redirectErrorStream(true).start();
            kill.getInputStream().close();
            kill.waitFor(1, TimeUnit.SECONDS);
        } catch (IOException e) {
            // the per-process kill below still runs
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void logStderr(PluginLine plugin, InputStream stderr) {
        int logged = 0;
        try (InputStream in = stderr) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                if (b != '\n') {
                    if (line.size() < MAX_LOGGED_LINE) {
                        line.write(b);
                    }
                    continue;
                }
                if (logged++ < MAX_STDERR_LINES) {
                    stderrLog.accept(plugin, PluginOutput.printable(line.toString(StandardCharsets.UTF_8)));
                }
                line.reset();
            }
            if (line.size() > 0 && logged++ < MAX_STDERR_LINES) {
                stderrLog.accept(plugin, PluginOutput.printable(line.toString(StandardCharsets.UTF_8)));
            }
            if (logged > MAX_STDERR_LINES) {
                stderrLog.accept(plugin, (logged - MAX_STDERR_LINES) + " more stderr lines not logged");
            }
        } catch (IOException e) {
            // the plugin was killed; what it wrote so far is logged
        }
    }

    /**
     * Reads stdout into lines up to the size bound, then drains the rest unread so the plugin
     * never blocks on a full pipe; stops (and closes the pipe, as qmail-spp does) after a
     * terminating command.
     */
    private static final class StdoutReader implements Runnable {
        private final InputStream in;
        private final int maxBytes;
        private final List<String> lines = new ArrayList<>();
        private volatile boolean cut;

        StdoutReader(InputStream in, int maxBytes) {
            this.in = in;
            this.maxBytes = maxBytes;
        }

        @Override
        public void run() {
            try (in) {
                read();
            } catch (IOException e) {
                // killed at the timeout: keep the lines read so far
            }
        }

        private void read() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                for (int i = 0; i < n; i++) {
                    if (total++ >= maxBytes) {
                        cut = true;
                        drain();
                        return;
                    }
                    if (buffer[i] != '\n') {
                        line.write(buffer[i]);
                        continue;
                    }
                    String complete = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    add(complete);
                    if (PluginOutput.terminates(complete)) {
                        return;
                    }
                }
            }
            if (line.size() > 0) {
                add(line.toString(StandardCharsets.UTF_8));
            }
        }

        private void drain() throws IOException {
            byte[] buffer = new byte[65536];
            while (in.read(buffer) >= 0) {
                // dropped: beyond the size bound
            }
        }

        private synchronized void add(String line) {
            lines.add(line);
        }

        synchronized List<String> lines() {
            return List.copyOf(lines);
        }

        boolean cut() {
            return cut;
        }
    }
}
