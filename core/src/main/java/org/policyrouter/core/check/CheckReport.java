package org.policyrouter.core.check;

import java.util.List;
import java.util.Optional;

/**
 * What one {@link ConfigurationCheck} found: errors (the server would refuse the file, or a check
 * would not do what the file says) and warnings (the server logs them and goes on), each a line
 * {@code file:line: message}, or {@code file: message} where there is no line; and a one-line
 * summary printed when there is no error.
 */
public final class CheckReport {
    private static final CheckReport SKIPPED = new CheckReport(List.of(), List.of(), Optional.empty());

    private final List<String> errors;
    private final List<String> warnings;
    private final Optional<String> summary;

    private CheckReport(List<String> errors, List<String> warnings, Optional<String> summary) {
        this.errors = List.copyOf(errors);
        this.warnings = List.copyOf(warnings);
        this.summary = summary;
    }

    public static CheckReport of(List<String> errors, List<String> warnings, String summary) {
        return new CheckReport(errors, warnings, Optional.of(summary));
    }

    /** Nothing to check: the files this check reads are not there. */
    public static CheckReport skipped() {
        return SKIPPED;
    }

    public List<String> errors() {
        return errors;
    }

    public List<String> warnings() {
        return warnings;
    }

    /** E.g. {@code conf/smtpplugins: OK: 2 plugins}; empty when skipped. */
    public Optional<String> summary() {
        return summary;
    }
}
