package org.policyrouter.hooks.core;

import java.nio.file.Path;

/** One meaningful line of a control file, with where it came from (for error messages after $include). */
public final class ControlLine {
    private final String text;
    private final Path file;
    private final int number;

    public ControlLine(String text, Path file, int number) {
        this.text = text;
        this.file = file;
        this.number = number;
    }

    /** The line without leading/trailing white space, as qpsmtpd trims it. */
    public String text() {
        return text;
    }

    public String where() {
        return file + ":" + number;
    }

    @Override
    public String toString() {
        return where() + ": " + text;
    }
}
