package org.policyrouter.hooks.spp;

import java.time.Duration;
import java.util.List;

/** How one plugin process ended and what it printed. */
public final class PluginRun {
    public enum Outcome {
        /** Exited on its own with a status qmail-spp accepts (anything but 120). */
        COMPLETED("completed"),
        /** Could not be started: missing, not executable, exit status 120 (qmail-spp's exec failure). */
        CANNOT_EXECUTE("can't execute"),
        /** Killed by a signal. */
        CRASHED("child crashed"),
        /** Still running at the timeout: killed with its process group. */
        TIMED_OUT("timed out");

        private final String reason;

        Outcome(String reason) {
            this.reason = reason;
        }

        /** The reason in qmail-spp's 451 text. */
        public String reason() {
            return reason;
        }
    }

    private final Outcome outcome;
    private final int exitStatus;
    private final List<String> lines;
    private final boolean cut;
    private final Duration elapsed;
    private final String detail;

    PluginRun(Outcome outcome, int exitStatus, List<String> lines, boolean cut, Duration elapsed, String detail) {
        this.outcome = outcome;
        this.exitStatus = exitStatus;
        this.lines = lines;
        this.cut = cut;
        this.elapsed = elapsed;
        this.detail = detail;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The exit status as Java reports it (128 + signal when killed), -1 when it never ran. */
    public int exitStatus() {
        return exitStatus;
    }

    /** The stdout lines read, without newlines. */
    public List<String> lines() {
        return lines;
    }

    /** Whether stdout went past the size bound (the excess was dropped). */
    public boolean cut() {
        return cut;
    }

    public Duration elapsed() {
        return elapsed;
    }

    /** A description for the log. */
    public String detail() {
        return detail;
    }

    public PluginOutput output() {
        return PluginOutput.parse(lines, cut);
    }
}
