package org.policyrouter.core.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One program to run: argv (no shell unless argv names one), the complete environment (nothing
 * is inherited from the server), the user it runs as, the working directory, stdin, a timeout and how much of stdout
 * and stderr to keep. Immutable; each {@code with…} returns a copy.
 */
public final class ProcessSpec {
    private final List<String> argv;
    private final Map<String, String> environment;
    private final Optional<Path> directory;
    private final Stdin stdin;
    private final Duration timeout;
    private final int stdoutLimit;
    private final int stderrLimit;
    private final Optional<Predicate<String>> lastStdoutLine;
    private final Optional<RunAs> runAs;

    private ProcessSpec(List<String> argv, Map<String, String> environment, Optional<Path> directory, Stdin stdin,
                        Duration timeout, int stdoutLimit, int stderrLimit, Optional<Predicate<String>> lastStdoutLine,
                        Optional<RunAs> runAs) {
        this.argv = argv;
        this.environment = environment;
        this.directory = directory;
        this.stdin = stdin;
        this.timeout = timeout;
        this.stdoutLimit = stdoutLimit;
        this.stderrLimit = stderrLimit;
        this.lastStdoutLine = lastStdoutLine;
        this.runAs = runAs;
    }

    /** No environment, stdin {@link Stdin#NONE}, a 60 s timeout, stdout and stderr discarded. */
    public static ProcessSpec of(List<String> argv) {
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw new IllegalArgumentException("no program to run");
        }
        return new ProcessSpec(List.copyOf(argv), Map.of(), Optional.empty(), Stdin.NONE, Duration.ofSeconds(60), 0, 0, Optional.empty(), Optional.empty());
    }

    public ProcessSpec withEnvironment(Map<String, String> variables) {
        return new ProcessSpec(argv, Map.copyOf(variables), directory, stdin, timeout, stdoutLimit, stderrLimit, lastStdoutLine, runAs);
    }

    public ProcessSpec withDirectory(Path workingDirectory) {
        return new ProcessSpec(argv, environment, Optional.of(workingDirectory), stdin, timeout, stdoutLimit, stderrLimit, lastStdoutLine, runAs);
    }

    public ProcessSpec withStdin(Stdin input) {
        return new ProcessSpec(argv, environment, directory, input, timeout, stdoutLimit, stderrLimit, lastStdoutLine, runAs);
    }

    public ProcessSpec withTimeout(Duration limit) {
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + limit);
        }
        return new ProcessSpec(argv, environment, directory, stdin, limit, stdoutLimit, stderrLimit, lastStdoutLine, runAs);
    }

    /** Keeps the first {@code bytes} of stdout; the rest is read and dropped. 0: stdout goes to /dev/null. */
    public ProcessSpec withStdoutLimit(int bytes) {
        return new ProcessSpec(argv, environment, directory, stdin, timeout, nonNegative(bytes), stderrLimit, lastStdoutLine, runAs);
    }

    /** Keeps the first {@code bytes} of stderr; the rest is read and dropped. 0: stderr goes to /dev/null. */
    public ProcessSpec withStderrLimit(int bytes) {
        return new ProcessSpec(argv, environment, directory, stdin, timeout, stdoutLimit, nonNegative(bytes), lastStdoutLine, runAs);
    }

    /**
     * Stops reading stdout after the first complete line (without its newline) that {@code last}
     * accepts, and closes the pipe: a program that writes on gets SIGPIPE (qmail-spp's rule after
     * a terminating command).
     */
    public ProcessSpec withStdoutEndingAt(Predicate<String> last) {
        return new ProcessSpec(argv, environment, directory, stdin, timeout, stdoutLimit, stderrLimit, Optional.of(last), runAs);
    }

    /**
     * Runs the program as {@code identity} (a server running as root switches to it before exec;
     * one that does not runs the program as its own user).
     */
    public ProcessSpec withRunAs(RunAs identity) {
        return new ProcessSpec(argv, environment, directory, stdin, timeout, stdoutLimit, stderrLimit, lastStdoutLine, Optional.of(identity));
    }

    private static int nonNegative(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + bytes);
        }
        return bytes;
    }

    public List<String> argv() {
        return argv;
    }

    public Map<String, String> environment() {
        return environment;
    }

    public Optional<Path> directory() {
        return directory;
    }

    public Stdin stdin() {
        return stdin;
    }

    public Duration timeout() {
        return timeout;
    }

    public int stdoutLimit() {
        return stdoutLimit;
    }

    public int stderrLimit() {
        return stderrLimit;
    }

    public Optional<Predicate<String>> lastStdoutLine() {
        return lastStdoutLine;
    }

    public Optional<RunAs> runAs() {
        return runAs;
    }
}
