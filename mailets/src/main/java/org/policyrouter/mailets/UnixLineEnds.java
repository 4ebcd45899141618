package org.policyrouter.mailets;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Unix programs (pipes, maildrop, procmail) expect LF line ends, as Postfix's pipe gives them. */
final class UnixLineEnds {
    private UnixLineEnds() {
    }

    /** CRLF becomes LF; a CR alone stays. */
    static OutputStream of(OutputStream out) {
        return new FilterOutputStream(out) {
            private boolean pendingCr;

            @Override
            public void write(int b) throws IOException {
                if (pendingCr && b != '\n') {
                    out.write('\r');
                }
                pendingCr = b == '\r';
                if (!pendingCr) {
                    out.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int i = off; i < off + len; i++) {
                    write(b[i]);
                }
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                if (pendingCr) {
                    out.write('\r');
                    pendingCr = false;
                }
                super.close();
            }
        };
    }
}
