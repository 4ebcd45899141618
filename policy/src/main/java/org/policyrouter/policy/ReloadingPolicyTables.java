package org.policyrouter.policy;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy tables of a directory, reloaded when a file changes. {@link #current()} is always a
 * complete, valid, immutable snapshot: a new one replaces it in one volatile write, and an
 * invalid edit keeps the last good one and logs every {@code file:line: message}.
 *
 * <p>Changes are found by polling file metadata ({@link #pollEvery}) or by callers invoking
 * {@link #refreshIfChanged()}; change notification alone (WatchService) misses edits on network
 * and some container filesystems.
 *
 * <p>A table that was loaded and then vanishes (removed, a link to a lost mount) or becomes
 * unreadable is an error like an invalid edit: the last good tables stay. Only at the first load
 * does a missing file mean an empty table. Nothing a reload meets stops the polling: an
 * unexpected exception or error (a bug, an OutOfMemoryError) is logged, and the next edit is
 * loaded as usual.
 */
public final class ReloadingPolicyTables implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ReloadingPolicyTables.class);
    /** "Within seconds" of an edit, for a check that costs a few stat calls. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);
    private static final int MAX_ERRORS_SHOWN = 3;

    private final Path directory;
    private final Optional<String> ownDomain;
    private final long maxTableBytes;
    private volatile PolicyTables current;
    /** The files as they were when {@link #current} was read from them. */
    private PolicyFingerprint loaded;
    /** The files as they were at the last failed attempt, so a broken edit is logged once. */
    private PolicyFingerprint failed;
    /** Why the last reload failed ({@code file:line: message}); null once one succeeded. */
    private volatile String failure;
    private ScheduledExecutorService poller;

    private ReloadingPolicyTables(Path directory, Optional<String> ownDomain, long maxTableBytes, PolicyTables first,
                                  PolicyFingerprint loaded) {
        this.directory = directory;
        this.ownDomain = ownDomain;
        this.maxTableBytes = maxTableBytes;
        this.current = first;
        this.loaded = loaded;
    }

    /** {@link #open(Path, Optional, long)} with the default size limit per table. */
    public static ReloadingPolicyTables open(Path directory, Optional<String> ownDomain) throws IOException, PolicyFileException {
        return open(directory, ownDomain, PolicyFileReader.DEFAULT_MAX_TABLE_BYTES);
    }

    /**
     * Loads the tables once; there is no last good version yet, so errors are thrown (a server
     * should refuse to start rather than route with a half-understood policy).
     *
     * @param maxTableBytes a table file bigger than this is refused before it is read
     */
    public static ReloadingPolicyTables open(Path directory, Optional<String> ownDomain, long maxTableBytes)
        throws IOException, PolicyFileException {
        PolicyFingerprint before = PolicyFingerprint.of(directory);
        PolicyTables first = PolicyTables.load(directory, ownDomain, maxTableBytes);
        logWarnings(directory, first);
        return new ReloadingPolicyTables(directory, ownDomain, maxTableBytes, first, before);
    }

    private static void logWarnings(Path directory, PolicyTables tables) {
        tables.warnings().forEach(warning -> LOGGER.warn("policy tables in {}: {}", directory, warning));
    }

    /** The snapshot to use for one mail: keep the reference for the whole mail, so it is routed by one version. */
    public PolicyTables current() {
        return current;
    }

    public Path directory() {
        return directory;
    }

    /**
     * Why the last reload failed, while the last good tables are still in use: {@code file:line:
     * message} for each error of a broken edit (the first few), or what vanished. Empty once a
     * reload succeeds.
     */
    public Optional<String> lastReloadFailure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Reloads when a file was added, removed or modified since the snapshot was loaded. Safe to
     * call from many threads; never throws.
     *
     * @return true when a new snapshot was installed
     */
    public synchronized boolean refreshIfChanged() {
        PolicyFingerprint now;
        try {
            now = PolicyFingerprint.of(directory);
        } catch (IOException | RuntimeException e) {
            LOGGER.error("cannot look at the policy tables in {} ({}); still using the last good version", directory, e.toString());
            return false;
        }
        // within the racy window an edit may not show in the fingerprint: read again to be sure
        boolean failedBefore = failed != null && now.sameFilesAs(failed);
        if ((now.sameFilesAs(loaded) && !loaded.isRacy()) || (failedBefore && !failed.isRacy())) {
            return false;
        }
        List<String> vanished = now.vanishedSince(loaded);
        if (!vanished.isEmpty()) {
            // a removed transport would send everything by MX: removing a table is never a valid edit
            failed = now;
            failure = String.join(", ", vanished) + " vanished";
            if (!failedBefore) {
                LOGGER.error("policy tables in {} not reloaded: {} vanished; still using the last good version "
                    + "(to empty a table, leave the file without rules instead of removing it)", directory, String.join(", ", vanished));
            }
            return false;
        }
        try {
            PolicyTables fresh = PolicyTables.load(directory, ownDomain, maxTableBytes);
            if (!PolicyFingerprint.of(directory).sameFilesAs(now)) {
                // a file changed while being read, so it may have been half written: next time
                return false;
            }
            boolean changed = !now.sameFilesAs(loaded);
            current = fresh;
            loaded = now;
            failed = null;
            failure = null;
            if (changed) {
                logWarnings(directory, fresh);
                LOGGER.info("reloaded policy tables from {}: {} transport rules, {} rewrite rules{}", directory,
                    fresh.transport().rules().size(), fresh.rewrite().rules().size(),
                    fresh.relayHost().map(h -> ", relayhost " + h).orElse(""));
            }
            return true;
        } catch (PolicyFileException e) {
            failed = now;
            failure = describe(e.errors());
            if (!failedBefore) {
                LOGGER.error("policy tables in {} not reloaded, {} error(s); still using the last good version:", directory, e.errors().size());
                e.errors().forEach(error -> LOGGER.error("{}", error));
            }
        } catch (IOException e) {
            failed = now;
            failure = e.toString();
            if (!failedBefore) {
                LOGGER.error("policy tables in {} not reloaded ({}); still using the last good version", directory, e.toString());
            }
        } catch (RuntimeException | Error e) {
            // a bug or an exhausted heap: the files stay marked as failed, so the same edit is not
            // tried again at every poll, and the next edit is loaded as usual
            failed = now;
            failure = "unexpected " + e;
            if (!failedBefore) {
                LOGGER.error("policy tables in {} not reloaded: unexpected {}; still using the last good version", directory, e.toString(), e);
            }
        }
        return false;
    }

    /** The first errors of a broken edit, on one line: a health check shows it, the log has them all. */
    private static String describe(List<PolicyError> errors) {
        String shown = errors.stream().limit(MAX_ERRORS_SHOWN).map(PolicyError::toString).collect(Collectors.joining("; "));
        return errors.size() > MAX_ERRORS_SHOWN ? shown + "; and " + (errors.size() - MAX_ERRORS_SHOWN) + " more errors" : shown;
    }

    /** Checks for changes every {@code interval} on a daemon thread, until {@link #close()}. */
    public synchronized ReloadingPolicyTables pollEvery(Duration interval) {
        Objects.requireNonNull(interval);
        if (poller != null) {
            throw new IllegalStateException("already polling " + directory);
        }
        poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "policyrouter-policy-reload-" + directory.getFileName());
            thread.setDaemon(true);
            return thread;
        });
        long millis = Math.max(1, interval.toMillis());
        poller.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * A scheduled task that throws is never run again: a reload thread that died on an
     * OutOfMemoryError would leave every later edit unapplied, with nothing logged.
     */
    private void poll() {
        try {
            refreshIfChanged();
        } catch (Throwable t) {
            LOGGER.error("policy tables in {}: unexpected {} while checking for changes; checking again in the next poll",
                directory, t.toString(), t);
        }
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
            poller = null;
        }
    }
}
