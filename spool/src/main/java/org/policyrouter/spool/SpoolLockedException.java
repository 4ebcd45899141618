package org.policyrouter.spool;

import java.io.IOException;

/** The spool is in use by another process (or already open in this one): nothing in it was read or changed. */
public final class SpoolLockedException extends IOException {
    private static final long serialVersionUID = 1L;

    SpoolLockedException(String message) {
        super(message);
    }
}
