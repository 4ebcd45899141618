package org.policyrouter.policy;

import java.util.List;
import java.util.stream.Collectors;

/** A policy file that cannot be loaded; carries every error found, not just the first. */
public class PolicyFileException extends Exception {
    private final List<PolicyError> errors;

    public PolicyFileException(List<PolicyError> errors) {
        super(errors.stream().map(PolicyError::toString).collect(Collectors.joining("\n")));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a PolicyFileException needs at least one error");
        }
        this.errors = List.copyOf(errors);
    }

    public PolicyFileException(PolicyError error) {
        this(List.of(error));
    }

    public List<PolicyError> errors() {
        return errors;
    }
}
