package org.policyrouter.mailets;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.policyrouter.core.process.RunAs;

/** Who a delivery program runs as, the variables that go with that user, and where it starts. */
final class ProgramLaunch {
    private final RunAs runAs;
    private final Map<String, String> environment;
    private final Optional<Path> directory;

    ProgramLaunch(RunAs runAs, Map<String, String> environment, Optional<Path> directory) {
        this.runAs = runAs;
        this.environment = Map.copyOf(environment);
        this.directory = directory;
    }

    static ProgramLaunch as(RunAs runAs) {
        return new ProgramLaunch(runAs, Map.of(), Optional.empty());
    }

    RunAs runAs() {
        return runAs;
    }

    Map<String, String> environment() {
        return environment;
    }

    Optional<Path> directory() {
        return directory;
    }
}
