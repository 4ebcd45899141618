package org.policyrouter.core.process;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The bytes kept of one output stream, and whether more came than the limit allowed. */
public final class CapturedOutput {
    public static final CapturedOutput NONE = new CapturedOutput(new byte[0], false);

    private final byte[] bytes;
    private final boolean truncated;

    CapturedOutput(byte[] bytes, boolean truncated) {
        this.bytes = bytes;
        this.truncated = truncated;
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** Whether output past the limit was read and dropped. */
    public boolean truncated() {
        return truncated;
    }

    public String text() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The lines, without their newline. A last line without newline counts, unless the output was
     * truncated: then it is the line cut at the limit, and it is left out rather than read half.
     */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                lines.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < bytes.length && !truncated) {
            lines.add(new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8));
        }
        return lines;
    }

    @Override
    public String toString() {
        return bytes.length + " bytes" + (truncated ? " (truncated)" : "");
    }
}
