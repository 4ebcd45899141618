package org.policyrouter.mailets;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;

/** For tests that open peers and clients: whatever went through {@link #open} is closed after each test. */
abstract class ClosedAfterEach {
    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
    }

    <T extends AutoCloseable> T open(T closeable) {
        opened.add(closeable);
        return closeable;
    }
}
