package org.policyrouter.hooks.core;

/** A control file line we cannot use; the message names file and line. */
public class ControlFileException extends RuntimeException {
    public ControlFileException(ControlLine line, String problem) {
        super(line.where() + ": " + problem + " (\"" + line.text() + "\")");
    }

    public ControlFileException(String message) {
        super(message);
    }
}
