package org.policyrouter.hooks.storage;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MaybeSender;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.util.Size;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses new mail with {@code 452 4.3.1 Insufficient system storage} at MAIL FROM while the
 * spool's file system has less free space than a watermark, as Postfix does before its disk is full
 * (queue_minfree): a message the client still holds is safer there than one accepted that cannot
 * be stored, and the room left keeps what was already accepted moving (deferrals, copies, reports).
 *
 * <pre>{@code
 * <handler class="org.policyrouter.hooks.storage.QueueMinFree">
 *   <directory>var/spool</directory>    <!-- default; relative to James's working directory -->
 *   <minimumFree>64M</minimumFree>      <!-- default: 2 × maxmessagesize + 16M (64M without a size limit) -->
 * </handler>
 * }</pre>
 */
public class QueueMinFree implements MailHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(QueueMinFree.class);
    private static final long MARGIN = 16L * 1024 * 1024;
    private static final long WITHOUT_SIZE_LIMIT = 64L * 1024 * 1024;
    /** How long a free-space reading is trusted: a statvfs per MAIL FROM would be cheap, this is cheaper. */
    private static final long READING_MILLIS = 1000;
    private static final HookResult INSUFFICIENT = HookResult.builder()
        .hookReturnCode(HookReturnCode.denySoft())
        .smtpReturnCode("452")
        .smtpDescription("4.3.1 Insufficient system storage")
        .build();

    private final FileSystem fileSystem;
    private FileStore store;
    private Path directory;
    private long configuredMinimum = -1;
    private volatile long readAt;
    private volatile long usable = Long.MAX_VALUE;
    private volatile boolean refusing;

    @Inject
    public QueueMinFree(FileSystem fileSystem) {
        this.fileSystem = fileSystem;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        String path = config.getString("directory", "var/spool");
        try {
            directory = fileSystem.getFile("file://" + path).toPath();
            store = Files.getFileStore(existing(directory));
        } catch (FileNotFoundException e) {
            throw new ConfigurationException("QueueMinFree: directory " + path + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ConfigurationException("QueueMinFree: cannot read the file system of " + path + ": " + e.getMessage(), e);
        }
        String minimum = config.getString("minimumFree", null);
        if (minimum != null) {
            try {
                configuredMinimum = Size.parse(minimum.trim()).asBytes();
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException("QueueMinFree: minimumFree '" + minimum + "' is not a size such as 64M", e);
            }
        }
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        long minimum = configuredMinimum >= 0 ? configuredMinimum : defaultMinimum(session.getConfiguration().getMaxMessageSize());
        long free = usableSpace();
        boolean insufficient = free < minimum;
        if (insufficient != refusing) {
            refusing = insufficient;
            if (insufficient) {
                LOGGER.error("{} has {} bytes free, less than {}: new mail is refused with 452 4.3.1 until there is room", directory, free, minimum);
            } else {
                LOGGER.warn("{} has {} bytes free again: new mail is accepted", directory, free);
            }
        }
        return insufficient ? INSUFFICIENT : HookResult.DECLINED;
    }

    static long defaultMinimum(long maxMessageSize) {
        return maxMessageSize > 0 ? 2 * maxMessageSize + MARGIN : WITHOUT_SIZE_LIMIT;
    }

    private long usableSpace() {
        long now = System.currentTimeMillis();
        if (now - readAt > READING_MILLIS) {
            try {
                usable = store.getUsableSpace();
            } catch (IOException e) {
                // unreadable: do not refuse mail for it, the spool's own writes report a real failure
                LOGGER.warn("cannot read the free space of {}: {}", directory, e.toString());
                usable = Long.MAX_VALUE;
            }
            readAt = now;
        }
        return usable;
    }

    private static Path existing(Path path) {
        Path candidate = path.toAbsolutePath();
        while (candidate != null && !Files.exists(candidate)) {
            candidate = candidate.getParent();
        }
        return candidate == null ? path.toAbsolutePath().getRoot() : candidate;
    }
}
