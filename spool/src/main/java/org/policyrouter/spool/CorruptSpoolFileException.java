package org.policyrouter.spool;

import java.nio.file.Path;

/** A spool file that cannot be read back as it was written (truncated, overwritten, not ours). */
public class CorruptSpoolFileException extends Exception {
    private static final long serialVersionUID = 1L;

    public CorruptSpoolFileException(Path file, String reason) {
        super(file + ": " + reason);
    }
}
