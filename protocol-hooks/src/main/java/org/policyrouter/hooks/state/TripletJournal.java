package org.policyrouter.hooks.state;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store's greylisting triplets ({@link EmbeddedStateStore}): they live in memory (at most {@code maxEntries}, the
 * oldest forgotten first, expired ones dropped) and every change is appended to a journal file,
 * replayed at start-up, so James can restart without deferring every known sender again. The
 * journal is rewritten compactly (temporary file, fsync, atomic rename) when it holds twice as
 * many lines as live entries. No database to install or ship: James 3.8.1's memory server has
 * none, and losing the last few changes in a crash only costs a client one more retry.
 */
final class TripletJournal implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(TripletJournal.class);
    private static final String JOURNAL = "greylist.journal";

    private final Path journal;
    private final int maxEntries;
    private final LongSupplier clock;
    private final Map<String, GreylistRecord> records = new LinkedHashMap<>(1024, 0.75f, true);
    private BufferedWriter writer;
    private long journalLines;

    TripletJournal(Path directory, int maxEntries, LongSupplier clock) {
        this.journal = directory.resolve(JOURNAL);
        this.maxEntries = maxEntries;
        this.clock = clock;
        try {
            Files.createDirectories(directory);
            replay();
            compact();
        } catch (IOException e) {
            throw new UncheckedIOException("greylisting store " + journal + ": " + e.getMessage(), e);
        }
    }

    synchronized Optional<GreylistRecord> find(String key) {
        GreylistRecord record = records.get(key);
        if (record != null && record.expiresAtMillis() <= clock.getAsLong()) {
            records.remove(key);
            return Optional.empty();
        }
        return Optional.ofNullable(record);
    }

    synchronized void save(String key, GreylistRecord record) {
        records.put(key, record);
        evictBeyondLimit();
        append(key + "\t" + record.timestampMillis() + "\t" + record.blocked() + "\t" + record.passed() + "\t" + record.expiresAtMillis());
    }

    synchronized int size() {
        return records.size();
    }

    @Override
    public synchronized void close() {
        try {
            writer.close();
        } catch (IOException e) {
            LOGGER.warn("greylisting store {}: {}", journal, e.getMessage());
        }
    }

    private void evictBeyondLimit() {
        Iterator<Map.Entry<String, GreylistRecord>> eldest = records.entrySet().iterator();
        while (records.size() > maxEntries && eldest.hasNext()) {
            eldest.next();
            eldest.remove();
        }
    }

    private void append(String line) {
        try {
            writer.write(line);
            writer.write('\n');
            writer.flush();
            journalLines++;
            if (journalLines > 2L * Math.max(records.size(), 1000)) {
                compact();
            }
        } catch (IOException e) {
            LOGGER.error("greylisting store {}: cannot write, state kept in memory only: {}", journal, e.getMessage());
        }
    }

    private void replay() throws IOException {
        if (!Files.exists(journal)) {
            return;
        }
        long now = clock.getAsLong();
        List<String> lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
        for (String line : lines) {
            String[] fields = line.split("\t");
            try {
                if (fields.length == 2 && fields[1].equals("-")) {
                    records.remove(fields[0]);
                } else if (fields.length == 5) {
                    GreylistRecord record = new GreylistRecord(Long.parseLong(fields[1]), Integer.parseInt(fields[2]),
                        Integer.parseInt(fields[3]), Long.parseLong(fields[4]));
                    records.remove(fields[0]);
                    if (record.expiresAtMillis() > now) {
                        records.put(fields[0], record);
                    }
                }
            } catch (NumberFormatException e) {
                // a line cut short by a crash: the state before it stands
                LOGGER.warn("greylisting store {}: skipping damaged line", journal);
            }
        }
        evictBeyondLimit();
    }

    private void compact() throws IOException {
        if (writer != null) {
            writer.close();
        }
        Path temporary = journal.resolveSibling(JOURNAL + ".tmp");
        long now = clock.getAsLong();
        records.values().removeIf(record -> record.expiresAtMillis() <= now);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            StringBuilder text = new StringBuilder();
            records.forEach((key, record) -> text.append(key).append('\t').append(record.timestampMillis()).append('\t')
                .append(record.blocked()).append('\t').append(record.passed()).append('\t').append(record.expiresAtMillis()).append('\n'));
            channel.write(StandardCharsets.UTF_8.encode(text.toString()));
            channel.force(true);
        }
        Files.move(temporary, journal, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        journalLines = records.size();
        writer = Files.newBufferedWriter(journal, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }
}
