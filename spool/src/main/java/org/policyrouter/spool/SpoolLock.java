package org.policyrouter.spool;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;

/**
 * One process per spool, as Postfix's {@code master.lock}: the spool's {@code lock} file is locked
 * (fcntl, released by the kernel when the process dies, so a crash leaves no stale lock) and holds
 * the owner's PID. A second process, or a second opening in this one, is refused before it reads
 * or changes anything in the spool.
 */
final class SpoolLock implements Closeable {
    static final String FILE_NAME = "lock";

    private final FileChannel channel;
    private final FileLock lock;

    private SpoolLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks the spool at {@code root}, or explains who holds it. */
    static SpoolLock acquire(Path root) throws IOException {
        SpoolDirectory.createPrivateDirectories(root);
        Path file = root.resolve(FILE_NAME);
        FileChannel channel = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
            SpoolDirectory.fileAttributes());
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            channel.close();
            throw new SpoolLockedException("the spool " + root + " is already open in this process (pid " + ProcessHandle.current().pid() + ")");
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder = holder(channel);
            channel.close();
            throw new SpoolLockedException("the spool " + root + " is locked by process " + holder
                + ": another james-policy-router uses this folder; stop it first (" + file + ")");
        }
        try {
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            channel.truncate(0);
            JournalIo.writeFully(channel, pid, 0);
        } catch (IOException e) {
            lock.release();
            channel.close();
            throw e;
        }
        return new SpoolLock(channel, lock);
    }

    private static String holder(FileChannel channel) {
        try {
            String text = new String(JournalIo.readRange(channel, 0, 32), StandardCharsets.US_ASCII).trim();
            return text.matches("[0-9]+") ? text : "(unknown pid)";
        } catch (IOException e) {
            return "(unknown pid)";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
