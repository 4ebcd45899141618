package org.policyrouter.policy;

import java.util.Objects;

/** One problem found in a policy file, located by file name and 1-based line number. */
public final class PolicyError {
    private final String file;
    private final int line;
    private final String message;

    public PolicyError(String file, int line, String message) {
        this.file = Objects.requireNonNull(file);
        this.line = line;
        this.message = Objects.requireNonNull(message);
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    public String message() {
        return message;
    }

    /** The {@code file:line: message} form operators grep for and editors jump to. */
    @Override
    public String toString() {
        return file + ":" + line + ": " + message;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof PolicyError)) {
            return false;
        }
        PolicyError other = (PolicyError) o;
        return line == other.line && file.equals(other.file) && message.equals(other.message);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file, line, message);
    }
}
