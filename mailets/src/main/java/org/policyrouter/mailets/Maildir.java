package org.policyrouter.mailets;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes one message into a Maildir the way maildir(5) asks: a unique name in {@code tmp/}, the
 * bytes synced to disk, then linked into {@code new/} (a link never replaces an existing file)
 * and the {@code tmp/} name removed; {@code new/} itself synced so the entry survives a crash.
 * A reader never sees a half-written message.
 */
final class Maildir {
    /** Writes the message's bytes; called once per delivery. */
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private static final AtomicLong COUNTER = new AtomicLong();
    private static final String PID = String.valueOf(ProcessHandle.current().pid());

    private final String hostName;

    Maildir(String hostName) {
        // '/' and ':' have meanings in Maildir names (maildir(5) escapes them as \057 and \072)
        this.hostName = hostName.replace("/", "\\057").replace(":", "\\072");
    }

    /**
     * Delivers into {@code maildir}, creating it (and its {@code cur/ new/ tmp/}) with
     * {@code mode}; the file gets {@code mode} without execute bits.
     *
     * @return the message's name in {@code new/}
     */
    String deliver(Path maildir, int mode, Content content) throws IOException {
        Set<PosixFilePermission> directoryMode = permissions(mode);
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            createDirectories(maildir.resolve(sub), directoryMode);
        }
        String name = uniqueName();
        Path tmp = maildir.resolve("tmp").resolve(name);
        Path fresh = maildir.resolve("new").resolve(name);
        try {
            try (FileChannel channel = FileChannel.open(tmp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(permissions(mode & ~0111)))) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            Files.createLink(fresh, tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(maildir.resolve("new"));
        return name;
    }

    /** maildir(5)'s {@code time.MusecPpidQn.host}: unique per host, process and delivery. */
    private String uniqueName() {
        Instant now = Instant.now();
        return now.getEpochSecond() + ".M" + now.getNano() / 1000 + "P" + PID + "Q" + COUNTER.incrementAndGet() + "." + hostName;
    }

    /** Each missing directory with the mode (not the process's umask), as qpsmtpd's plugin does. */
    private static void createDirectories(Path directory, Set<PosixFilePermission> mode) throws IOException {
        if (Files.isDirectory(directory)) {
            return;
        }
        Path parent = directory.getParent();
        if (parent != null) {
            createDirectories(parent, mode);
        }
        try {
            Files.createDirectory(directory);
            Files.setPosixFilePermissions(directory, mode);
        } catch (FileAlreadyExistsException e) {
            // another delivery made it meanwhile
        }
    }

    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values();
        // PosixFilePermission lists OWNER_READ … OTHERS_EXECUTE, from the highest bit down
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << (bits.length - 1 - i))) != 0) {
                permissions.add(bits[i]);
            }
        }
        return permissions;
    }
}
