package org.policyrouter.spool;

import java.nio.file.Path;

/** Where a record is in the journal: its segment, and the offset and length of its spool-format bytes. */
final class JournalLocation {
    final JournalSegment segment;
    final long offset;
    final int length;

    JournalLocation(JournalSegment segment, long offset, int length) {
        this.segment = segment;
        this.offset = offset;
        this.length = length;
    }

    /** For log lines and errors: the segment file and the offset. */
    Path describe() {
        return segment.file.resolveSibling(segment.file.getFileName() + "@" + offset);
    }
}
