package org.policyrouter.hooks.spp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.Optional;

import org.policyrouter.hooks.core.WatchedFile;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The smtpplugins file, read again when it changes. qmail-smtpd reads it at every connection; a
 * connection here takes the current version (a stat, and a parse only after an edit), so an edit
 * applies to the next connection without a restart. A file that became unreadable keeps the last
 * version read, logs why and reports it as its load error (the health check's) until it is read.
 * Its contents cannot fail to parse: doubtful lines are warnings, see {@link SmtpPluginsFile}.
 */
public final class SmtpPluginsSource implements WatchedFile {
    private static final Logger LOGGER = LoggerFactory.getLogger(SmtpPluginsSource.class);

    private final Path file;
    private Stamp stamp;
    private SmtpPluginsFile current;
    private String loadError;

    private SmtpPluginsSource(Path file, Stamp stamp, SmtpPluginsFile current) {
        this.file = file;
        this.stamp = stamp;
        this.current = current;
    }

    /** @throws IOException when the file cannot be read at start-up: a configuration error to fix first */
    public static SmtpPluginsSource open(Path file) throws IOException {
        Stamp stamp = Stamp.of(file);
        SmtpPluginsFile parsed = read(file);
        return new SmtpPluginsSource(file, stamp, parsed);
    }

    public Path file() {
        return file;
    }

    public synchronized SmtpPluginsFile current() {
        try {
            Stamp now = Stamp.of(file);
            if (!now.equals(stamp)) {
                current = read(file);
                stamp = now;
                LOGGER.info("spp: read {} again after a change", file);
            }
            loadError = null;
        } catch (IOException e) {
            LOGGER.error("spp: cannot read {} ({}); keeping the version read before", file, e.toString());
            loadError = "cannot read " + file + " (" + e + "), the version read before is in use";
        }
        return current;
    }

    @Override
    public synchronized Optional<String> loadError() {
        current();
        return Optional.ofNullable(loadError);
    }

    private static SmtpPluginsFile read(Path file) throws IOException {
        SmtpPluginsFile parsed = SmtpPluginsFile.read(file);
        parsed.warnings().forEach(warning -> LOGGER.warn("spp: {}", warning));
        return parsed;
    }

    private static final class Stamp {
        private final FileTime modified;
        private final long size;
        private final Object key;

        private Stamp(FileTime modified, long size, Object key) {
            this.modified = modified;
            this.size = size;
            this.key = key;
        }

        static Stamp of(Path file) throws IOException {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Stamp)) {
                return false;
            }
            Stamp other = (Stamp) o;
            return modified.equals(other.modified) && size == other.size && Objects.equals(key, other.key);
        }

        @Override
        public int hashCode() {
            return Objects.hash(modified, size, key);
        }
    }
}
