package org.policyrouter.spool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One spool directory (incoming, active, deferred, archive). Every write goes to a temporary name,
 * is fsynced, renamed into place, and the directory is fsynced (grouped, see {@link GroupCommit}),
 * so a reader never sees half a file and an acknowledged mail survives a crash. Files are 0600 and
 * directories 0700: mail is private.
 */
final class SpoolDirectory {
    static final String TEMP_PREFIX = ".tmp-";
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    private static final boolean POSIX = java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private final Path directory;
    private final Path corrupt;
    private final boolean fsync;
    private final GroupCommit sync;

    private SpoolDirectory(Path directory, Path corrupt, Fsyncs fsyncs) {
        this.directory = directory;
        this.corrupt = corrupt;
        this.fsync = fsyncs.enabled();
        this.sync = fsyncs.groupCommit(() -> GroupCommit.forceDirectory(directory));
    }

    /** Creates the directory if needed and removes temporary files a crash left behind. */
    static SpoolDirectory open(Path directory, Path corrupt, Fsyncs fsyncs) throws IOException {
        createPrivateDirectories(directory);
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(directory, TEMP_PREFIX + "*")) {
            for (Path temp : stale) {
                Files.deleteIfExists(temp);
            }
        }
        return new SpoolDirectory(directory, corrupt, fsyncs);
    }

    static void createPrivateDirectories(Path directory) throws IOException {
        Path absolute = directory.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return;
        }
        createPrivateDirectories(absolute.getParent());
        try {
            Files.createDirectory(absolute, directoryAttributes());
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(absolute)) {
                throw e;
            }
        }
    }

    Path path() {
        return directory;
    }

    Path file(String name) {
        return directory.resolve(SpoolNames.checked(name));
    }

    boolean exists(String name) {
        return Files.exists(file(name));
    }

    /**
     * Writes the record under {@code name}, replacing any previous version, durable when this
     * returns. The temporary file is fsynced before the rename, so a crash leaves either the old
     * or the new version, never a damaged one.
     */
    void write(String name, byte[] envelope, SpoolFileFormat.MessageWriter message) throws IOException {
        Path temp = temporaryFor(name);
        try {
            try (FileChannel channel = createFile(temp)) {
                SpoolFileFormat.write(channel, envelope, message);
                if (fsync) {
                    channel.force(false);
                }
            }
            rename(temp, file(name));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        sync.awaitDurable();
    }

    /**
     * Writes a record under a new name (a queue id: nothing to replace), durable when this
     * returns. Readers still never see half a file (temporary name, then rename), but the fsync
     * comes after the rename: then one journal commit makes both the data and the name durable,
     * where sync-then-rename takes two in a row, and this is the wait before every SMTP 250. A
     * crash between the rename and the sync can leave a damaged file under the new name: the
     * index finds it at start (size or checksum) and moves it to corrupt/. Its SMTP client had
     * no 250 yet, so it retries.
     */
    void create(String name, byte[] envelope, SpoolFileFormat.MessageWriter message) throws IOException {
        Path temp = temporaryFor(name);
        Path target = file(name);
        try (FileChannel channel = createFile(temp)) {
            try {
                SpoolFileFormat.write(channel, envelope, message);
                rename(temp, target);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
            if (fsync) {
                channel.force(false);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(target);
            throw e;
        }
        sync.awaitDurable();
    }

    private Path temporaryFor(String name) {
        return directory.resolve(TEMP_PREFIX + SpoolNames.checked(name) + "-" + SpoolNames.newQueueId());
    }

    private static FileChannel createFile(Path path) throws IOException {
        return FileChannel.open(path, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), fileAttributes());
    }

    /**
     * Moves a file from another spool directory into this one (same file system: a rename).
     * With {@code durable}, returns only once the move is on disk.
     */
    void moveFrom(SpoolDirectory source, String name, boolean durable) throws IOException {
        rename(source.file(name), file(name));
        if (durable) {
            sync.awaitDurable();
            source.sync.awaitDurable();
        }
    }

    /** Removes a file; a crash may bring it back (a duplicate, never a loss). */
    boolean delete(String name) throws IOException {
        return Files.deleteIfExists(file(name));
    }


    byte[] readEnvelope(String name) throws IOException, CorruptSpoolFileException {
        return SpoolFileFormat.readEnvelope(file(name));
    }

    SpoolFileFormat.Record read(String name) throws IOException, CorruptSpoolFileException {
        return SpoolFileFormat.read(file(name));
    }

    /** File names in this directory, temporary files excluded. */
    List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (!name.startsWith(TEMP_PREFIX) && Files.isRegularFile(file)) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** Moves an unreadable file to corrupt/ so the rest of the queue keeps flowing. */
    void quarantine(String name, String reason) {
        try {
            createPrivateDirectories(corrupt);
            Path target = corrupt.resolve(directory.getFileName() + "-" + name + "-" + SpoolNames.newQueueId());
            Files.move(file(name), target, StandardCopyOption.ATOMIC_MOVE);
            LOGGER.error("spool file {} is corrupt ({}): moved to {}", file(name), reason, target);
        } catch (NoSuchFileException e) {
            LOGGER.warn("spool file {} is corrupt ({}) and already gone", file(name), reason);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move corrupt spool file " + file(name) + " to " + corrupt, e);
        }
    }

    private static void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the spool must live on one file system that supports atomic renames: " + e.getMessage(), e);
        }
    }

    static FileAttribute<?>[] fileAttributes() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_MODE)} : new FileAttribute<?>[0];
    }

    private static FileAttribute<?>[] directoryAttributes() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIRECTORY_MODE)} : new FileAttribute<?>[0];
    }
}
