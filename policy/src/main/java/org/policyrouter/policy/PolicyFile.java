package org.policyrouter.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** One policy file of a policy directory, read into lines; a missing file has no lines. */
final class PolicyFile {
    private final String name;
    private final boolean exists;
    private final List<PolicyLine> lines;

    private PolicyFile(String name, boolean exists, List<PolicyLine> lines) {
        this.name = name;
        this.exists = exists;
        this.lines = lines;
    }

    static PolicyFile read(Path directory, String name, PolicyErrors errors, long maxBytes) throws IOException {
        Path file = directory.resolve(name);
        if (!Files.exists(file)) {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                // a link to a lost mount is not an empty table
                throw new NoSuchFileException(file + " (a symbolic link whose target is missing)");
            }
            return new PolicyFile(name, false, List.of());
        }
        return new PolicyFile(name, true, PolicyFileReader.read(file, name, errors, maxBytes));
    }

    static PolicyFile of(String name, List<PolicyLine> lines) {
        return new PolicyFile(name, true, lines);
    }

    String name() {
        return name;
    }

    boolean exists() {
        return exists;
    }

    List<PolicyLine> lines() {
        return lines;
    }

    /**
     * Hands every line to {@code parser}; an {@link IllegalArgumentException} becomes this line's
     * {@code file:line: message} error and the loop goes on, so one run reports every broken line.
     */
    void parseEach(PolicyErrors errors, Consumer<PolicyLine> parser) {
        for (PolicyLine line : lines) {
            try {
                parser.accept(line);
            } catch (IllegalArgumentException e) {
                errors.add(name, line.number(), e.getMessage());
            }
        }
    }
}
