package org.policyrouter.mailets;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Path;

import org.apache.james.filesystem.api.FileSystem;

/** James's FileSystem for a server whose working directory is {@code base}: {@code file://x} is {@code base/x}. */
final class WorkingDirectoryFileSystem implements FileSystem {
    private final Path base;

    WorkingDirectoryFileSystem(Path base) {
        this.base = base;
    }

    @Override
    public InputStream getResource(String url) {
        throw new UnsupportedOperationException(url);
    }

    @Override
    public File getFile(String fileUrl) {
        if (!fileUrl.startsWith(FILE_PROTOCOL)) {
            throw new IllegalArgumentException("not a file:// location: " + fileUrl);
        }
        return base.resolve(fileUrl.substring(FILE_PROTOCOL.length())).toFile();
    }

    @Override
    public File getBasedir() {
        return base.toFile();
    }
}
