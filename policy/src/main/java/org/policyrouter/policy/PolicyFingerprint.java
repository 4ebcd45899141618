package org.policyrouter.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the policy files looked like on disk: for each, whether it exists, its size, its
 * modification time and its file key (inode), so an edit in place and a replacement by rename
 * are both seen. Polling this works on every filesystem, where change notification does not.
 */
final class PolicyFingerprint {
    /**
     * A file modified this close to the moment it was looked at may be modified again within the
     * same timestamp tick (up to 2 s on some filesystems) without its fingerprint changing.
     */
    static final Duration RACY_WINDOW = Duration.ofSeconds(3);

    private final List<FileState> files;
    private final Instant takenAt;

    private PolicyFingerprint(List<FileState> files, Instant takenAt) {
        this.files = files;
        this.takenAt = takenAt;
    }

    static PolicyFingerprint of(Path directory) throws IOException {
        Instant now = Instant.now();
        List<FileState> files = new ArrayList<>();
        for (String name : PolicyTables.FILES) {
            files.add(FileState.of(directory.resolve(name)));
        }
        return new PolicyFingerprint(List.copyOf(files), now);
    }

    /**
     * Whether an edit made after this fingerprint could still have the same fingerprint, so that
     * an unchanged fingerprint does not prove unchanged contents.
     */
    boolean isRacy() {
        Instant limit = takenAt.minus(RACY_WINDOW);
        return files.stream().anyMatch(f -> f.modified != null && f.modified.isAfter(limit));
    }

    /**
     * The tables that existed in {@code earlier} and exist no more: a removed file, a link whose
     * target went, a lost mount.
     */
    List<String> vanishedSince(PolicyFingerprint earlier) {
        List<String> vanished = new ArrayList<>();
        for (FileState before : earlier.files) {
            if (before.exists && files.stream().anyMatch(now -> now.name.equals(before.name) && !now.exists)) {
                vanished.add(before.name);
            }
        }
        return vanished;
    }

    /** Same files in the same state; the moment it was taken does not count. */
    boolean sameFilesAs(PolicyFingerprint other) {
        return files.equals(other.files);
    }

    private static final class FileState {
        private final String name;
        private final boolean exists;
        private final long size;
        private final Instant modified;
        private final Object key;

        private FileState(String name, boolean exists, long size, Instant modified, Object key) {
            this.name = name;
            this.exists = exists;
            this.size = size;
            this.modified = modified;
            this.key = key;
        }

        static FileState of(Path file) throws IOException {
            String name = file.getFileName().toString();
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                return new FileState(name, true, attributes.size(), attributes.lastModifiedTime().toInstant(), attributes.fileKey());
            } catch (NoSuchFileException e) {
                return new FileState(name, false, -1, null, null);
            }
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof FileState)) {
                return false;
            }
            FileState other = (FileState) o;
            return exists == other.exists && size == other.size && name.equals(other.name)
                && Objects.equals(modified, other.modified) && Objects.equals(key, other.key);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, exists, size, modified, key);
        }
    }
}
