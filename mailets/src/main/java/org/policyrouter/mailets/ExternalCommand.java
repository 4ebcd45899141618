package org.policyrouter.mailets;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;

import org.policyrouter.core.process.ProcessResult;
import org.policyrouter.core.process.ProcessRunner;
import org.policyrouter.core.process.ProcessSpec;
import org.policyrouter.core.process.Stdin;

/**
 * Runs a delivery program (pipe or MDA) on the shared {@link ProcessRunner} (own process group,
 * clean environment, the message on stdin, the whole group killed at the timeout, stderr kept up
 * to a bound) and reads its end as sysexits: 0 delivered, 75 (EX_TEMPFAIL), a timeout or a
 * program that cannot be started temporary, anything else permanent.
 */
public final class ExternalCommand implements AutoCloseable {
    public static final int EX_TEMPFAIL = 75;
    static final int MAX_STDERR_BYTES = 4096;
    private static final String PATH = "/usr/local/bin:/usr/bin:/bin";

    private final ProcessRunner processes;
    private final Duration timeout;

    public ExternalCommand(ProcessRunner processes, Duration timeout) {
        this.processes = processes;
        this.timeout = timeout;
    }

    /** @param environment the program's whole environment, but for a default PATH */
    public RecipientOutcome run(List<String> argv, Map<String, String> environment, Stdin message) {
        String name = argv.get(0);
        Map<String, String> variables = new HashMap<>();
        variables.put("PATH", PATH);
        variables.putAll(environment);
        ProcessSpec spec = ProcessSpec.of(argv).withEnvironment(variables).withStdin(message).withTimeout(timeout)
            .withStderrLimit(MAX_STDERR_BYTES);
        ProcessResult result;
        try {
            result = processes.run(spec);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RecipientOutcome.temporaryFailure(name + ": interrupted (server stopping)");
        } catch (CancellationException e) {
            return RecipientOutcome.temporaryFailure(name + ": interrupted (server stopping)");
        }
        String errors = result.stderr().text().replaceAll("[\\r\\n]+", " ").strip();
        String text = name + " " + (result.outcome() == ProcessResult.Outcome.EXITED ? "exited with status " + result.exitStatus() : result.detail())
            + (errors.isEmpty() ? "" : ": " + errors);
        switch (result.outcome()) {
            case COULD_NOT_START:
                // a missing or non-executable program is a configuration error the operator can fix: retry later
                return RecipientOutcome.temporaryFailure(name + ": cannot run: " + result.detail());
            case TIMED_OUT:
                return RecipientOutcome.temporaryFailure(name + ": killed after the timeout of " + timeout.toSeconds() + "s");
            case EXITED:
                if (result.exitStatus() == 0) {
                    return RecipientOutcome.delivered(name + " exited with status 0");
                }
                return result.exitStatus() == EX_TEMPFAIL ? RecipientOutcome.temporaryFailure(text) : RecipientOutcome.permanentFailure(text);
            default:
                return RecipientOutcome.permanentFailure(text);
        }
    }

    /** Kills the programs still running and ends the runner's threads. */
    @Override
    public void close() {
        processes.close();
    }
}
