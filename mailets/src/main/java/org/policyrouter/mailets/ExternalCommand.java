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
 * Runs a delivery program (pipe, MDA, qmail-queue) on the shared {@link ProcessRunner} (own process
 * group, as the unprivileged user of its {@link ProgramLaunch}, clean environment, the message on stdin, the whole group killed at the timeout, stderr kept up
 * to a bound). A timeout or a program that cannot be started is temporary; an exit status means
 * what the agent's {@link ExitStatuses} say, by default sysexits.
 */
public final class ExternalCommand implements AutoCloseable {
    public static final int EX_TEMPFAIL = 75;

    /** What the exit status of a program that ran means for its recipients. */
    interface ExitStatuses {
        /** @param text the program's name, its status and its stderr, for the reply */
        RecipientOutcome outcome(int status, String text);
    }

    /** sysexits(3), as Postfix's pipe reads them: 0 delivered, 75 temporary, anything else permanent. */
    static final ExitStatuses SYSEXITS = (status, text) -> status == 0 ? RecipientOutcome.delivered(text)
        : status == EX_TEMPFAIL ? RecipientOutcome.temporaryFailure(text) : RecipientOutcome.permanentFailure(text);

    static final int MAX_STDERR_BYTES = 4096;
    private static final String PATH = "/usr/local/bin:/usr/bin:/bin";

    private final ProcessRunner processes;
    private final Duration timeout;

    public ExternalCommand(ProcessRunner processes, Duration timeout) {
        this.processes = processes;
        this.timeout = timeout;
    }

    /**
     * @param launch      who runs it (never root), the variables of that user, where it starts
     * @param environment the program's whole environment, but for a default PATH and the launch's own
     */
    RecipientOutcome run(ProgramLaunch launch, List<String> argv, Map<String, String> environment, Stdin message) {
        return run(launch, argv.get(0), argv, environment, message, SYSEXITS);
    }

    /** @param name the program as replies and logs name it (argv may start with a wrapper) */
    RecipientOutcome run(ProgramLaunch launch, String name, List<String> argv, Map<String, String> environment, Stdin message,
                         ExitStatuses statuses) {
        Map<String, String> variables = new HashMap<>();
        variables.put("PATH", PATH);
        variables.putAll(environment);
        variables.putAll(launch.environment());
        ProcessSpec spec = ProcessSpec.of(argv).withEnvironment(variables).withStdin(message).withTimeout(timeout)
            .withStderrLimit(MAX_STDERR_BYTES).withRunAs(launch.runAs());
        if (launch.directory().isPresent()) {
            spec = spec.withDirectory(launch.directory().get());
        }
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
                return statuses.outcome(result.exitStatus(), text);
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
