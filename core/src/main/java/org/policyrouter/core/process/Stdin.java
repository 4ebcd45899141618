package org.policyrouter.core.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * What a program gets on stdin, written by a thread of the runner. A program that stops reading
 * (or never reads) only ends the writing: the write fails once nobody holds the pipe.
 */
@FunctionalInterface
public interface Stdin {
    /** stdin is {@code /dev/null}: the program sees end of file at once. */
    Stdin NONE = out -> { };

    void writeTo(OutputStream out) throws IOException;

    static Stdin of(byte[] bytes) {
        byte[] copy = bytes.clone();
        return out -> out.write(copy);
    }

    /** Copies {@code in} and closes it. */
    static Stdin from(InputStream in) {
        return out -> {
            try (in) {
                in.transferTo(out);
            }
        };
    }
}
