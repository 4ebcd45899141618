package org.policyrouter.hooks.spp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.function.BiConsumer;

import org.policyrouter.core.process.CapturedOutput;
import org.policyrouter.core.process.ProcessResult;
import org.policyrouter.core.process.ProcessRunner;
import org.policyrouter.core.process.ProcessSpec;
import org.policyrouter.core.process.RunAs;

/**
 * Starts one plugin the way qmail-spp does (stdin closed, stdout read for commands up to the first
 * terminating one, stderr to the log, working directory the plugin home, as an unprivileged user
 * the way qmail-smtpd runs as qmaild) on the shared
 * {@link ProcessRunner}, which fixes what qmail-spp leaves open: a timeout after which the plugin
 * and everything it started are killed (its own process group through setsid), a bound on what is
 * read from stdout, and no wait on children that keep stdout open after the plugin exited.
 * What the plugin printed is read here, as qmail-spp reads it.
 */
public final class PluginRunner implements AutoCloseable {
    /** qmail-spp's child exits 120 when execv fails; plugins are told never to use it. */
    static final int EXEC_FAILED = 120;
    /** sh and setsid: found but not executable, not found. */
    private static final int SHELL_CANNOT_EXECUTE = 126;
    private static final int SHELL_NOT_FOUND = 127;
    private static final Duration KILL_GRACE = Duration.ofSeconds(1);
    private static final int MAX_STDERR_LINES = 50;
    /** Room for 50 lines of 1000 bytes; each logged line is cut shorter still. */
    private static final int MAX_STDERR_BYTES = MAX_STDERR_LINES * 1001;

    private final Path home;
    private final Duration timeout;
    private final int maxOutputBytes;
    private final ProcessRunner processes;
    private final BiConsumer<PluginLine, String> stderrLog;
    private final RunAs user;

    /**
     * @param setsid    empty: plugins share the server's process group, and a timeout reaches only
     *                  the plugin and the children Java can see
     * @param user      who the plugins run as (a root server switches to it; never root)
     * @param stderrLog receives each stderr line with its plugin (the James adapter logs it)
     */
    public PluginRunner(Path home, Duration timeout, int maxOutputBytes, Optional<Path> setsid, RunAs user,
                        BiConsumer<PluginLine, String> stderrLog) {
        this.home = home;
        this.timeout = timeout;
        this.maxOutputBytes = maxOutputBytes;
        this.processes = new ProcessRunner("spp", setsid, KILL_GRACE);
        this.stderrLog = stderrLog;
        this.user = user;
    }

    public Path home() {
        return home;
    }

    public Duration timeout() {
        return timeout;
    }

    /** Runs the plugin to its end, at most the timeout (plus the kill's grace); call it off the I/O threads. */
    public PluginRun run(PluginLine plugin, Map<String, String> environment) {
        ProcessSpec spec = ProcessSpec.of(plugin.argv(home))
            .withEnvironment(environment)
            .withDirectory(home)
            .withTimeout(timeout)
            .withStdoutLimit(maxOutputBytes)
            .withStderrLimit(MAX_STDERR_BYTES)
            .withStdoutEndingAt(PluginOutput::terminates)
            .withRunAs(user);
        ProcessResult result;
        try {
            result = processes.run(spec);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new PluginRun(PluginRun.Outcome.TIMED_OUT, -1, List.of(), false, Duration.ZERO, "interrupted: killed");
        } catch (CancellationException e) {
            return new PluginRun(PluginRun.Outcome.TIMED_OUT, -1, List.of(), false, Duration.ZERO, "server stopping: killed");
        }
        logStderr(plugin, result.stderr());
        return new PluginRun(outcomeOf(result), exitStatusOf(result), result.stdout().lines(), result.stdout().truncated(),
            result.elapsed(), result.detail());
    }

    /** Kills the plugins still running and ends the runner's threads. */
    @Override
    public void close() {
        processes.close();
    }

    private static PluginRun.Outcome outcomeOf(ProcessResult result) {
        switch (result.outcome()) {
            case COULD_NOT_START:
                return PluginRun.Outcome.CANNOT_EXECUTE;
            case TIMED_OUT:
                return PluginRun.Outcome.TIMED_OUT;
            case KILLED_BY_SIGNAL:
                return PluginRun.Outcome.CRASHED;
            default:
                int status = result.exitStatus();
                // through sh or setsid, a program that cannot be run shows as 126/127 instead of an exec error
                boolean cannotExecute = status == EXEC_FAILED || status == SHELL_CANNOT_EXECUTE || status == SHELL_NOT_FOUND;
                return cannotExecute ? PluginRun.Outcome.CANNOT_EXECUTE : PluginRun.Outcome.COMPLETED;
        }
    }

    /** As Java reports it: 128 + N for death by signal N. */
    private static int exitStatusOf(ProcessResult result) {
        return result.outcome() == ProcessResult.Outcome.KILLED_BY_SIGNAL ? 128 + result.signal() : result.exitStatus();
    }

    private void logStderr(PluginLine plugin, CapturedOutput stderr) {
        List<String> lines = stderr.lines();
        lines.stream().limit(MAX_STDERR_LINES).forEach(line -> stderrLog.accept(plugin, PluginOutput.printable(line)));
        int more = Math.max(0, lines.size() - MAX_STDERR_LINES);
        if (stderr.truncated()) {
            stderrLog.accept(plugin, "more than " + MAX_STDERR_BYTES + " bytes on stderr, the rest not logged");
        } else if (more > 0) {
            stderrLog.accept(plugin, more + " more stderr lines not logged");
        }
    }
}
