package org.policyrouter.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** A policy directory for a test: files written from lines, loaded with own domain {@code me.example}. */
public final class PolicyDirectory {
    public static final Optional<String> ME = Optional.of("me.example");

    private final Path path;

    public PolicyDirectory(Path path) {
        this.path = path;
    }

    public PolicyDirectory write(String file, String... lines) {
        try {
            Files.writeString(path.resolve(file), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public PolicyTables load() throws IOException, PolicyFileException {
        return PolicyTables.load(path, ME);
    }

    public Path path() {
        return path;
    }
}
