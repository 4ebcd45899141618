package org.policyrouter.hooks.core;

import java.util.Optional;

/**
 * A configuration file read again when it changes, which keeps its last good version when an
 * edit cannot be used (a control file, the smtpplugins list). The error is what a health check
 * shows until the file is fixed.
 */
public interface WatchedFile {
    /**
     * Reads the file again if it changed, as the next connection would, and tells why its last
     * load failed ({@code file:line: problem}); empty once it loaded.
     */
    Optional<String> loadError();
}
