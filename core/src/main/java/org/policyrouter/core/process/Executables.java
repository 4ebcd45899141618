package org.policyrouter.core.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Why a program cannot run, found before starting it: through setsid a missing program would only
 * show as setsid's exit status 127, indistinguishable from the program's own.
 */
public final class Executables {
    /** What execvp searches when the environment has no PATH. */
    private static final String DEFAULT_PATH = "/usr/bin:/bin";

    private Executables() {
    }

    /**
     * Why {@code program} (a path, relative to {@code directory} if given, or a name searched in
     * the environment's PATH) cannot be run; empty when it can. Also what {@code policy-router
     * check} says of an smtpplugins line.
     */
    public static Optional<String> problem(String program, Map<String, String> environment, Optional<Path> directory) {
        if (program.contains("/")) {
            return problem(directory.map(dir -> dir.resolve(program)).orElse(Path.of(program)));
        }
        String path = environment.getOrDefault("PATH", DEFAULT_PATH);
        for (String entry : path.split(":", -1)) {
            Path candidate = Path.of(entry.isEmpty() ? "." : entry).resolve(program);
            if (problem(candidate).isEmpty()) {
                return Optional.empty();
            }
        }
        return Optional.of(program + " not found in PATH " + path);
    }

    private static Optional<String> problem(Path program) {
        if (!Files.exists(program)) {
            return Optional.of(program + " does not exist");
        }
        if (!Files.isRegularFile(program) || !Files.isExecutable(program)) {
            return Optional.of(program + " is not an executable file");
        }
        return Optional.empty();
    }
}
