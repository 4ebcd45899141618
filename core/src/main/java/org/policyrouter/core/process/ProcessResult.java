package org.policyrouter.core.process;

import java.time.Duration;

/** How a program ended and what it wrote. */
public final class ProcessResult {
    public enum Outcome {
        /** Ended on its own with an exit status. */
        EXITED,
        /** Ended by a signal it did not get from the runner (a crash, an operator's kill). */
        KILLED_BY_SIGNAL,
        /** Still running at the timeout: its process group was killed. */
        TIMED_OUT,
        /** Never ran: the program is missing or not executable, or the start failed. */
        COULD_NOT_START
    }

    private final Outcome outcome;
    private final int code;
    private final String detail;
    private final CapturedOutput stdout;
    private final CapturedOutput stderr;
    private final Duration elapsed;
    private final long processId;

    private ProcessResult(Outcome outcome, int code, String detail, CapturedOutput stdout, CapturedOutput stderr,
                          Duration elapsed, long processId) {
        this.outcome = outcome;
        this.code = code;
        this.detail = detail;
        this.stdout = stdout;
        this.stderr = stderr;
        this.elapsed = elapsed;
        this.processId = processId;
    }

    static ProcessResult couldNotStart(String reason) {
        return new ProcessResult(Outcome.COULD_NOT_START, -1, "could not start: " + reason, CapturedOutput.NONE, CapturedOutput.NONE, Duration.ZERO, -1);
    }

    static ProcessResult timedOut(Duration timeout, CapturedOutput stdout, CapturedOutput stderr, Duration elapsed, long processId) {
        return new ProcessResult(Outcome.TIMED_OUT, -1, "killed after the timeout of " + timeout.toMillis() + " ms",
            stdout, stderr, elapsed, processId);
    }

    /** @param status as Java reports it: 128 + N for death by signal N, as shells do */
    static ProcessResult ended(int status, CapturedOutput stdout, CapturedOutput stderr, Duration elapsed, long processId) {
        if (status > 128) {
            return new ProcessResult(Outcome.KILLED_BY_SIGNAL, status - 128, "killed by signal " + (status - 128), stdout, stderr, elapsed, processId);
        }
        return new ProcessResult(Outcome.EXITED, status, "exit status " + status, stdout, stderr, elapsed, processId);
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The exit status for {@link Outcome#EXITED}, else -1. */
    public int exitStatus() {
        return outcome == Outcome.EXITED ? code : -1;
    }

    /** The signal number for {@link Outcome#KILLED_BY_SIGNAL}, else -1. */
    public int signal() {
        return outcome == Outcome.KILLED_BY_SIGNAL ? code : -1;
    }

    /** For the log: {@code exit status 3}, {@code killed by signal 11}, {@code could not start: …}. */
    public String detail() {
        return detail;
    }

    public CapturedOutput stdout() {
        return stdout;
    }

    public CapturedOutput stderr() {
        return stderr;
    }

    public Duration elapsed() {
        return elapsed;
    }

    /** The program's process id, which is its process group id when the runner has setsid; -1 if it never ran. */
    public long processId() {
        return processId;
    }

    @Override
    public String toString() {
        return detail + ", stdout " + stdout + ", stderr " + stderr + ", " + elapsed.toMillis() + " ms";
    }
}
