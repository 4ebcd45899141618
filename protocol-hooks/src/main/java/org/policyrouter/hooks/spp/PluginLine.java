package org.policyrouter.hooks.spp;

import java.nio.file.Path;
import java.util.List;

/**
 * One plugin of an smtpplugins section, as qmail-spp reads it: a line starting with {@code :} runs
 * through {@code /bin/sh -c} (so it may carry arguments); any other line is the path of a program run
 * without arguments (the whole line, spaces included, as qmail-spp passes it to execv).
 */
public final class PluginLine {
    private final String text;
    private final String location;

    public PluginLine(String text, String location) {
        if (text.isEmpty() || text.equals(":")) {
            throw new IllegalArgumentException("empty plugin line");
        }
        this.text = text;
        this.location = location;
    }

    public boolean runsThroughShell() {
        return text.charAt(0) == ':';
    }

    /** The line as written, e.g. {@code :plugins/rbl -r zen.example}. */
    public String text() {
        return text;
    }

    /** Where it was configured ({@code conf/smtpplugins:12}), for log lines. */
    public String location() {
        return location;
    }

    /**
     * The name shown to clients in a 451 failure: the program only, not its arguments (which may
     * hold secrets such as an API key), where qmail-spp shows the whole line.
     */
    public String programName() {
        String program = runsThroughShell() ? text.substring(1).strip() : text;
        int space = runsThroughShell() ? program.indexOf(' ') : -1;
        return space < 0 ? program : program.substring(0, space);
    }

    /** The program path resolved against the plugin home, for a line that does not use the shell. */
    public Path program(Path home) {
        return home.resolve(text);
    }

    /** The argv: the program alone, or {@code /bin/sh -c <rest of the line>}. */
    public List<String> argv(Path home) {
        if (runsThroughShell()) {
            return List.of("/bin/sh", "-c", text.substring(1));
        }
        return List.of(program(home).toString());
    }

    @Override
    public String toString() {
        return text;
    }
}
