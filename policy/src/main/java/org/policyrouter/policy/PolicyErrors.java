package org.policyrouter.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The errors of one load of the policy tables. Every broken line is reported, up to a limit per
 * file: a binary or garbage file could otherwise produce millions of errors and exhaust the heap
 * of the server (or the terminal of the operator running {@code check}).
 */
public final class PolicyErrors {
    public static final int MAX_ERRORS_PER_FILE = 1000;

    private final List<PolicyError> errors = new ArrayList<>();
    private final List<PolicyError> warnings = new ArrayList<>();
    private final Map<String, Integer> countByFile = new HashMap<>();
    private final Map<String, PolicyError> firstSuppressedByFile = new HashMap<>();

    public void add(String file, int line, String message) {
        add(new PolicyError(file, line, message));
    }

    public void add(PolicyError error) {
        int count = countByFile.merge(error.file(), 1, Integer::sum);
        if (count <= MAX_ERRORS_PER_FILE) {
            errors.add(error);
        } else {
            firstSuppressedByFile.putIfAbsent(error.file(), error);
        }
    }

    /**
     * A line that is valid but does nothing, such as a destination an earlier rule already matches:
     * the first rule wins (as the router spec says, and as Postfix's postmap warns and keeps the
     * first), so the tables still load; {@code check} prints it and the server logs it.
     */
    public void warn(String file, int line, String message) {
        if (warnings.size() < MAX_ERRORS_PER_FILE) {
            warnings.add(new PolicyError(file, line, "warning: " + message));
        }
    }

    public List<PolicyError> warnings() {
        return List.copyOf(warnings);
    }

    public boolean isEmpty() {
        return errors.isEmpty();
    }

    /** Every error in the order found, then one line per file that had more than the limit. */
    public List<PolicyError> list() {
        List<PolicyError> all = new ArrayList<>(errors);
        firstSuppressedByFile.forEach((file, first) -> all.add(new PolicyError(file, first.line(),
            (countByFile.get(file) - MAX_ERRORS_PER_FILE) + " more errors not shown, the first of them: " + first.message())));
        return all;
    }

    /** @throws PolicyFileException when any error was added */
    public void throwIfAny() throws PolicyFileException {
        if (!errors.isEmpty()) {
            throw new PolicyFileException(list());
        }
    }
}
