package org.policyrouter.hooks.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * qpsmtpd's config(): a control file is read from the config directory if it exists there, else
 * from the fallback directory (qpsmtpd's /var/qmail/control). Lines are trimmed; blank lines and
 * lines starting with '#' are dropped; {@code $include path} splices in a file (relative names are
 * looked up like any control file) or every non-hidden file of a directory, sorted. Files are
 * re-read when one of them changes, checked at most once per {@code checkInterval}, so an edit
 * takes effect without a restart.
 */
public final class ControlFiles {
    private static final Logger LOGGER = LoggerFactory.getLogger(ControlFiles.class);
    private static final String INCLUDE = "$include";

    private final Path configDir;
    private final Optional<Path> fallbackDir;
    private final long checkIntervalNanos;
    private final LongSupplier nanoClock;
    private final WatchedFiles registry;

    /** Control files no health check sees (tests, tools). */
    public ControlFiles(Path configDir, Optional<Path> fallbackDir, Duration checkInterval) {
        this(configDir, fallbackDir, checkInterval, new WatchedFiles());
    }

    /** Control files whose load errors {@code registry} reports, until {@link #close()}. */
    public ControlFiles(Path configDir, Optional<Path> fallbackDir, Duration checkInterval, WatchedFiles registry) {
        this(configDir, fallbackDir, checkInterval, System::nanoTime, registry);
    }

    ControlFiles(Path configDir, Optional<Path> fallbackDir, Duration checkInterval, LongSupplier nanoClock) {
        this(configDir, fallbackDir, checkInterval, nanoClock, new WatchedFiles());
    }

    ControlFiles(Path configDir, Optional<Path> fallbackDir, Duration checkInterval, LongSupplier nanoClock, WatchedFiles registry) {
        this.configDir = Objects.requireNonNull(configDir);
        this.fallbackDir = fallbackDir;
        this.checkIntervalNanos = checkInterval.toNanos();
        this.nanoClock = nanoClock;
        this.registry = registry;
    }

    /** The handler that opened these files is gone: a health check no longer reports them. */
    public void close() {
        registry.forget(this);
    }

    public Path configDir() {
        return configDir;
    }

    /** A reloading view of one control file as lines. */
    public ControlFile<List<ControlLine>> lines(String name) {
        return parsed(name, Function.identity());
    }

    /**
     * A reloading view of one control file through a parser. When the parser rejects an edit the
     * last good value stays in force and the error is logged with file and line.
     */
    public <T> ControlFile<T> parsed(String name, Function<List<ControlLine>, T> parser) {
        ControlFile<T> file = new ControlFile<>(name, parser);
        registry.register(file, this);
        return file;
    }

    /** Where a control file of this name is read from: the config directory wins if it has one. */
    Path locate(String name) {
        Path primary = configDir.resolve(name);
        if (Files.exists(primary) || fallbackDir.isEmpty()) {
            return primary;
        }
        Path fallback = fallbackDir.get().resolve(name);
        return Files.exists(fallback) ? fallback : primary;
    }

    private List<Path> candidates(String name) {
        List<Path> paths = new ArrayList<>();
        paths.add(configDir.resolve(name));
        fallbackDir.ifPresent(dir -> paths.add(dir.resolve(name)));
        return paths;
    }

    /** A control file and its parsed value, re-read when a file it was read from changes. */
    public final class ControlFile<T> implements WatchedFile {
        private final String name;
        private final Function<List<ControlLine>, T> parser;
        private volatile Loaded<T> loaded;
        private volatile long nextCheck;
        private volatile String loadError;

        private ControlFile(String name, Function<List<ControlLine>, T> parser) {
            this.name = name;
            this.parser = parser;
        }

        public String name() {
            return name;
        }

        public T get() {
            long now = nanoClock.getAsLong();
            Loaded<T> current = loaded;
            if (current != null && now - nextCheck < 0) {
                return current.value;
            }
            synchronized (this) {
                current = loaded;
                if (current == null || now - nextCheck >= 0) {
                    nextCheck = now + checkIntervalNanos;
                    if (current == null || current.changed()) {
                        loaded = load(current);
                    }
                }
                return loaded.value;
            }
        }

        @Override
        public Optional<String> loadError() {
            get();
            return Optional.ofNullable(loadError);
        }

        private Loaded<T> load(Loaded<T> previous) {
            Map<Path, FileStamp> stamps = new LinkedHashMap<>();
            candidates(name).forEach(path -> stamps.put(path, FileStamp.of(path)));
            try {
                List<ControlLine> lines = read(locate(name), new ArrayList<>(), stamps);
                Loaded<T> good = new Loaded<>(parser.apply(lines), stamps);
                loadError = null;
                return good;
            } catch (ControlFileException | UncheckedIOException e) {
                // ControlFileException messages start with file:line; a read error names the file
                loadError = e.getMessage();
                if (previous == null) {
                    LOGGER.error("control file {}: {}; using it as empty until fixed", name, e.getMessage());
                    return new Loaded<>(parser.apply(List.of()), stamps);
                }
                LOGGER.error("control file {}: {}; keeping the previous version", name, e.getMessage());
                return new Loaded<>(previous.value, stamps);
            }
        }
    }

    private List<ControlLine> read(Path file, List<Path> visiting, Map<Path, FileStamp> stamps) {
        stamps.putIfAbsent(file, FileStamp.of(file));
        if (!Files.exists(file)) {
            return List.of();
        }
        if (visiting.contains(file)) {
            throw new ControlFileException("circular $include of " + file + " via " + visiting);
        }
        visiting.add(file);
        List<ControlLine> lines = new ArrayList<>();
        List<String> raw;
        try {
            raw = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (int i = 0; i < raw.size(); i++) {
            String text = raw.get(i).strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            ControlLine line = new ControlLine(text, file, i + 1);
            if (text.startsWith(INCLUDE) && (text.length() == INCLUDE.length() || Character.isWhitespace(text.charAt(INCLUDE.length())))) {
                lines.addAll(include(line, visiting, stamps));
            } else {
                lines.add(line);
            }
        }
        visiting.remove(file);
        return lines;
    }

    private List<ControlLine> include(ControlLine line, List<Path> visiting, Map<Path, FileStamp> stamps) {
        String target = line.text().substring(INCLUDE.length()).strip();
        if (target.isEmpty() || target.chars().anyMatch(Character::isWhitespace)) {
            throw new ControlFileException(line, "$include needs exactly one file or directory");
        }
        Path included;
        if (target.startsWith("/")) {
            included = Path.of(target);
        } else {
            candidates(target).forEach(path -> stamps.putIfAbsent(path, FileStamp.of(path)));
            included = locate(target);
        }
        if (!Files.isDirectory(included)) {
            if (!Files.exists(included)) {
                LOGGER.warn("{}: $include of missing {}", line.where(), included);
            }
            return read(included, visiting, stamps);
        }
        stamps.put(included, FileStamp.of(included));
        List<ControlLine> lines = new ArrayList<>();
        try (Stream<Path> entries = Files.list(included)) {
            for (Path entry : entries.filter(p -> !p.getFileName().toString().startsWith("."))
                .filter(Files::isRegularFile).sorted().collect(Collectors.toList())) {
                lines.addAll(read(entry, visiting, stamps));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + included, e);
        }
        return lines;
    }

    private static final class Loaded<T> {
        private final T value;
        private final Map<Path, FileStamp> stamps;

        Loaded(T value, Map<Path, FileStamp> stamps) {
            this.value = value;
            this.stamps = stamps;
        }

        boolean changed() {
            return stamps.entrySet().stream().anyMatch(e -> !FileStamp.of(e.getKey()).equals(e.getValue()));
        }
    }

    /** What tells us a file changed: existence, modification time, size (and inode where there is one). */
    private static final class FileStamp {
        private static final FileStamp ABSENT = new FileStamp(-1, -1, null);
        private final long modified;
        private final long size;
        private final Object key;

        private FileStamp(long modified, long size, Object key) {
            this.modified = modified;
            this.size = size;
            this.key = key;
        }

        static FileStamp of(Path path) {
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (attributes.isSymbolicLink()) {
                    attributes = Files.readAttributes(path, BasicFileAttributes.class);
                }
                return new FileStamp(attributes.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
                    attributes.size(), attributes.fileKey());
            } catch (IOException e) {
                return ABSENT;
            }
        }

        @Override
        public boolean equals(Object other) {
            if (!(other instanceof FileStamp)) {
                return false;
            }
            FileStamp that = (FileStamp) other;
            return modified == that.modified && size == that.size && Objects.equals(key, that.key);
        }

        @Override
        public int hashCode() {
            return Objects.hash(modified, size, key);
        }
    }
}
