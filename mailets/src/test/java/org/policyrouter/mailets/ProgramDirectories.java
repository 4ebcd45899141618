package org.policyrouter.mailets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Delivery programs run as nobody, not as the root test JVM: the directories they write to must let them. */
final class ProgramDirectories {
    private ProgramDirectories() {
    }

    static Path writableByAnyone(Path directory) throws IOException {
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxrwxrwx"));
        return directory;
    }
}
