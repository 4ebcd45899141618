package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.common.util.concurrent.Uninterruptibles;

class JournalTest {
    static final byte[] ENVELOPE = "{\"name\":\"m\",\"recipients\":[]}".getBytes(StandardCharsets.UTF_8);
    static final byte[] NO_MESSAGE = new byte[0];

    /** A segment handed to {@code onlyBodiesLeft}: which one, with which bodies, when. */
    static final class Offer {
        final JournalSegment segment;
        final Set<String> bodies;
        final long nanos;

        Offer(JournalSegment segment, Set<String> bodies, long nanos) {
            this.segment = segment;
            this.bodies = bodies;
            this.nanos = nanos;
        }
    }

    @TempDir
    Path root;
    Journal journal;
    Duration relocationDelay = Duration.ofMillis(50);
    final List<Offer> offers = new CopyOnWriteArrayList<>();
    /** What the store would do with a segment kept only by bodies; by default only noted. */
    BiConsumer<JournalSegment, Set<String>> onlyBodiesLeft = (segment, bodies) -> offers.add(new Offer(segment, bodies, System.nanoTime()));

    @AfterEach
    void close() {
        if (journal != null) {
            journal.close();
        }
    }

    Path journalDirectory() {
        return root.resolve("incoming/journal");
    }

    Path corruptDirectory() {
        return root.resolve("corrupt");
    }

    /** Opens (again) and reads back, as the store does, then starts appending. */
    Journal open(long segmentBytes, List<JournalRecovery.Recovered> recovered) throws IOException {
        readBack(segmentBytes, recovered);
        journal.startAppending();
        return journal;
    }

    /** Opens (again) and reads back only: the caller pins what it still needs, then starts appending. */
    Journal readBack(long segmentBytes, List<JournalRecovery.Recovered> recovered) throws IOException {
        if (journal != null) {
            journal.close();
        }
        journal = Journal.open(journalDirectory(), corruptDirectory(), Fsyncs.ON, segmentBytes, relocationDelay,
            (segment, bodies) -> onlyBodiesLeft.accept(segment, bodies), recovered);
        return journal;
    }

    /** A message record (envelope and body), durable when this returns. */
    JournalLocation append(String id, byte[] message) throws IOException {
        return append(id, JournalFormat.Kind.MESSAGE, message);
    }

    JournalLocation append(String id, JournalFormat.Kind kind, byte[] message) throws IOException {
        Journal.Appended appended = journal.appendUnsynced(id, kind, ENVELOPE, message);
        journal.awaitDurable(appended);
        return appended.location;
    }

    /** A message record's envelope is done and no other envelope refers to its body: what the store does. */
    void finish(String id, JournalLocation location) throws IOException {
        journal.markDone(id, location);
        journal.unpinBody(id, location);
    }

    /** The ids of the records read back that are not done yet. */
    static List<String> pending(List<JournalRecovery.Recovered> recovered) {
        return recovered.stream().filter(record -> !record.done).map(record -> record.id).collect(Collectors.toList());
    }

    static byte[] message(int i) {
        return ("Subject: mail " + i + "\r\n\r\nbody " + i + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A queue id (time, counter, node), time-ordered by {@code i}. */
    static String id(int i) {
        return String.format("%011X%06X%04X", 0x100000 + i, i, 1);
    }

    static List<String> files(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    List<String> segmentFiles() throws IOException {
        return files(journalDirectory()).stream().filter(name -> name.matches(JournalFormat.SEGMENT_PREFIX + "[0-9a-f]{16}")).collect(Collectors.toList());
    }

    List<String> spareFiles() throws IOException {
        return files(journalDirectory()).stream().filter(name -> name.startsWith(JournalFormat.SPARE_PREFIX)).collect(Collectors.toList());
    }

    static String permissions(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    /** The epoch in a segment file's header. */
    static String epochOf(Path segment) throws IOException {
        return new String(Files.readAllBytes(segment), StandardCharsets.US_ASCII).substring(JournalFormat.HEADER_MAGIC.length(),
            JournalFormat.HEADER_MAGIC.length() + 16);
    }

    @Test
    void readsBackWhatWasAppendedByteForByte() throws Exception {
        open(1 << 20, new ArrayList<>());

        JournalLocation location = append(id(1), message(1));

        SpoolFileFormat.Record record = journal.read(location);
        assertThat(record.envelope).isEqualTo(ENVELOPE);
        assertThat(record.message).isEqualTo(message(1));
    }

    @Test
    void aRestartGivesBackExactlyTheEnvelopesNotDoneInTheirOrder() throws Exception {
        open(1 << 20, new ArrayList<>());
        List<JournalLocation> locations = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            locations.add(append(id(i), message(i)));
        }
        finish(id(1), locations.get(1));
        finish(id(3), locations.get(3));

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(pending(recovered)).containsExactly(id(0), id(2), id(4));
        assertThat(recovered).filteredOn(record -> !record.done).allSatisfy(record -> assertThat(record.envelope).isEqualTo(ENVELOPE));
        assertThat(journal.read(recovered.stream().filter(record -> record.id.equals(id(2))).findFirst().orElseThrow().location).message)
            .isEqualTo(message(2));
    }

    @Test
    void segmentsRollOverAndAreRetiredOnceNothingInThemIsNeeded() throws Exception {
        open(600, new ArrayList<>());
        List<JournalLocation> locations = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            locations.add(append(id(i), message(i)));
        }
        assertThat(segmentFiles()).hasSizeGreaterThan(3);

        for (int i = 0; i < 20; i++) {
            finish(id(i), locations.get(i));
        }

        // left: the segment open for appends, the one made ahead, and finished files kept for reuse
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<String> segments = segmentFiles();
            assertThat(segments).hasSizeLessThanOrEqualTo(2);
            assertThat(spareFiles()).hasSize(SegmentFiles.MAX_SPARES);
            assertThat(files(journalDirectory())).filteredOn(name -> name.endsWith(JournalFormat.DONE_SUFFIX))
                .allMatch(name -> segments.contains(name.substring(0, name.length() - JournalFormat.DONE_SUFFIX.length())));
        });
        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(600, recovered);
        assertThat(pending(recovered)).isEmpty();
    }

    @Test
    void aReusedFilesOldRecordsNeverComeBack() throws Exception {
        open(2000, new ArrayList<>());
        finishMailsUntilTheSparesAreFull();

        // small records go into the reused files, over the start of their old ones
        List<String> fresh = new ArrayList<>();
        for (int i = 100; spareFiles().size() == SegmentFiles.MAX_SPARES || fresh.size() < 30; i++) {
            append(id(i), message(i));
            fresh.add(id(i));
        }
        boolean oldRecordsOnDisk = false;
        for (String name : segmentFiles()) {
            String content = new String(Files.readAllBytes(journalDirectory().resolve(name)), StandardCharsets.ISO_8859_1);
            oldRecordsOnDisk |= IntStream.range(0, 12).anyMatch(i -> content.contains(id(i)));
        }
        assertThat(oldRecordsOnDisk).as("a segment file still holds records from before it was reused").isTrue();

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(2000, recovered);
        assertThat(pending(recovered)).containsExactlyElementsOf(fresh);
        // done or not, nothing of a reused file's old content is reported (done messages of the
        // last segment before the reuse still are: the first fresh records went in with them)
        assertThat(recovered).filteredOn(record -> record.location.segment.reused).isNotEmpty()
            .allSatisfy(record -> assertThat(fresh).contains(record.id));
        assertThat(recovered).filteredOn(record -> record.done)
            .allSatisfy(record -> assertThat(record.location.segment.reused).as(record.id).isFalse());
        assertThat(files(corruptDirectory())).isEmpty();
    }

    @Test
    void sparesOutliveARestartAndAreReused() throws Exception {
        open(2000, new ArrayList<>());
        finishMailsUntilTheSparesAreFull();

        List<String> before = spareFiles();
        open(2000, new ArrayList<>());
        // one of them is the segment the restart opened for appends, the other one is left
        assertThat(spareFiles()).containsAnyElementsOf(before);
        List<String> appended = new ArrayList<>();
        for (int i = 100; before.stream().anyMatch(spareFiles()::contains); i++) {
            append(id(i), new byte[400]);
            appended.add(id(i));
            assertThat(appended).as("spares reused within a few segments").hasSizeLessThan(40);
        }

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(2000, recovered);
        assertThat(recovered).extracting(record -> record.id).containsExactlyElementsOf(appended);
        assertThat(files(corruptDirectory())).isEmpty();
    }

    /** Twelve 400-byte mails over several 2,000-byte segments, all finished: their files become the spares. */
    void finishMailsUntilTheSparesAreFull() throws IOException {
        List<JournalLocation> locations = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            locations.add(append(id(i), new byte[400]));
        }
        for (int i = 0; i < 12; i++) {
            finish(id(i), locations.get(i));
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spareFiles().size() == SegmentFiles.MAX_SPARES);
    }

    /** A finished mail whose body holds forged records, in a segment that becomes a spare; returns the ids still live. */
    List<String> retireASegmentHoldingForgedRecords() throws IOException {
        JournalLocation forged = append(id(1), forgedRecords(JournalFormat.hex16(0x5eed)));
        // too big to share a segment with it: the forged mail's segment can be retired
        append(id(2), new byte[5000]);
        finish(id(1), forged);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spareFiles().size() == 1);
        return new ArrayList<>(List.of(id(2)));
    }

    /** Appends small mails until one lands in a segment made from a spare; returns their locations. */
    List<JournalLocation> appendUntilASpareIsInUse(List<String> ids) throws IOException {
        List<JournalLocation> locations = new ArrayList<>();
        String reused = null;
        for (int i = 1000; i < 1200; i++) {
            if (reused == null && spareFiles().isEmpty()) {
                // the segment made ahead took the spare: it has the highest number
                reused = segmentFiles().get(segmentFiles().size() - 1);
            }
            JournalLocation location = append(id(i), message(i));
            ids.add(id(i));
            locations.add(location);
            if (location.segment.file.getFileName().toString().equals(reused)) {
                return locations;
            }
        }
        throw new AssertionError("no spare was reused");
    }

    /** What this JVM has open (Linux). */
    static List<String> openFiles() throws IOException {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            return descriptors.map(descriptor -> {
                try {
                    return Files.readSymbolicLink(descriptor).toString();
                } catch (IOException e) {
                    return "";
                }
            }).collect(Collectors.toList());
        }
    }

    /**
     * What a sender could put in a message body: intact records behind frame lines for twenty
     * epochs (either kind), behind frame lines of {@code epoch} with kind letters that are none,
     * and behind frame lines of the dropped formats.
     */
    static byte[] forgedRecords(String epoch) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("x".repeat(200).getBytes(StandardCharsets.US_ASCII));
        byte[] record = SpoolFileFormat.encode(ENVELOPE, message(666), 0);
        String length = JournalFormat.hex16(record.length);
        List<String> frames = new ArrayList<>();
        for (int n = 0; n < 20; n++) {
            frames.add("PRJ3 " + JournalFormat.hex16(n) + " " + id(500 + n) + " " + (n % 2 == 0 ? "M" : "E") + " " + length + "\n");
        }
        int n = 520;
        for (String kind : List.of("X", "m", "e", "ME", "-")) {
            frames.add("PRJ3 " + epoch + " " + id(n++) + " " + kind + " " + length + "\n");
        }
        frames.add("PRJ2 " + epoch + " " + id(n++) + " " + length + "\n");
        frames.add("PRJ1 " + id(599) + " " + length + "\n");
        for (String frame : frames) {
            body.writeBytes(frame.getBytes(StandardCharsets.US_ASCII));
            body.writeBytes(record);
        }
        return body.toByteArray();
    }

    @Test
    void recordsForgedInAMailBodyNeverComeBackFromAReusedFile() throws Exception {
        open(8000, new ArrayList<>());
        List<String> fresh = retireASegmentHoldingForgedRecords();
        List<JournalLocation> locations = appendUntilASpareIsInUse(fresh);
        Path reused = locations.get(locations.size() - 1).segment.file;
        assertThat(new String(Files.readAllBytes(reused), StandardCharsets.ISO_8859_1))
            .as("the forged records are still in the reused file").contains(id(505)).contains(id(520)).contains(id(599));

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(8000, recovered);
        assertThat(recovered).extracting(record -> record.id).containsExactlyElementsOf(fresh);
        assertThat(files(corruptDirectory())).isEmpty();
    }

    @Test
    void anAppendCutShortInAReusedFileIsCopiedAsideAndItsOldContentIsNot() throws Exception {
        open(8000, new ArrayList<>());
        List<String> fresh = retireASegmentHoldingForgedRecords();
        List<JournalLocation> locations = appendUntilASpareIsInUse(fresh);
        JournalLocation last = locations.get(locations.size() - 1);
        Path segment = last.segment.file;
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            // the next append's frame line reached the disk, its record did not
            file.seek(last.offset + last.length);
            file.write(("PRJ3 " + epochOf(segment) + " " + id(3) + " M 00000000000010").getBytes(StandardCharsets.US_ASCII));
        }

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(8000, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactlyElementsOf(fresh);
        assertThat(files(corruptDirectory())).singleElement().asString().contains("damaged");
        byte[] copy = Files.readAllBytes(corruptDirectory().resolve(files(corruptDirectory()).get(0)));
        assertThat(copy).as("at most a frame line: what follows it is the file's old content").hasSizeLessThanOrEqualTo(JournalFormat.MAX_FRAME_LINE);
        assertThat(new String(copy, StandardCharsets.ISO_8859_1)).contains(id(3)).doesNotContain(id(505));
    }

    @Test
    void aSegmentNumberUsedAgainBringsBackNothingOfTheFileItReuses() throws Exception {
        open(2000, new ArrayList<>());
        finishMailsUntilTheSparesAreFull();
        journal.close();
        journal = null;
        // a crash after the segments were deleted: the next start numbers from 1 again
        for (String name : files(journalDirectory())) {
            if (name.startsWith(JournalFormat.SEGMENT_PREFIX)) {
                Files.delete(journalDirectory().resolve(name));
            }
        }

        open(2000, new ArrayList<>());
        JournalLocation first = append(id(100), message(100));
        assertThat(first.segment.file.getFileName().toString()).isEqualTo(JournalFormat.SEGMENT_PREFIX + "0000000000000001");
        String content = new String(Files.readAllBytes(first.segment.file), StandardCharsets.ISO_8859_1);
        assertThat(IntStream.range(0, 12).anyMatch(i -> content.contains(id(i)))).as("the reused file still holds old records").isTrue();

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(2000, recovered);
        assertThat(recovered).extracting(record -> record.id).containsExactly(id(100));
        assertThat(files(corruptDirectory())).isEmpty();
    }

    @Test
    void aSegmentWhoseHeaderIsUnreadableIsMovedAsideWholeForAnOperator() throws Exception {
        open(1 << 20, new ArrayList<>());
        append(id(1), message(1));
        append(id(2), message(2));
        Path segment = journalDirectory().resolve(segmentFiles().get(0));
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.write("XXXX".getBytes(StandardCharsets.US_ASCII));
        }

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).isEmpty();
        assertThat(files(journalDirectory())).doesNotContain(segment.getFileName().toString());
        assertThat(files(corruptDirectory())).singleElement().asString()
            .startsWith("journal-" + segment.getFileName() + "-header-");
        assertThat(new String(Files.readAllBytes(corruptDirectory().resolve(files(corruptDirectory()).get(0))), StandardCharsets.ISO_8859_1))
            .contains(id(1)).contains(id(2));
    }

    @Test
    void aDoneMarkAfterCloseIsWrittenAndItsFileClosed() throws Exception {
        open(1 << 20, new ArrayList<>());
        JournalLocation location = append(id(1), message(1));
        journal.close();

        journal.markDone(id(1), location);
        assertThatThrownBy(() -> journal.appendUnsynced(id(2), JournalFormat.Kind.MESSAGE, ENVELOPE, message(2)))
            .isInstanceOf(IOException.class).hasMessageContaining("closed");
        assertThat(openFiles()).noneMatch(file -> file.endsWith(JournalFormat.DONE_SUFFIX));

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);
        assertThat(pending(recovered)).isEmpty();
    }

    @Test
    void aDoneLogWhoseSegmentIsGoneIsDeletedAtStart() throws Exception {
        SpoolDirectory.createPrivateDirectories(journalDirectory());
        Path orphan = journalDirectory().resolve(JournalFormat.SEGMENT_PREFIX + "00000000000000ff" + JournalFormat.DONE_SUFFIX);
        Files.write(orphan, (id(1) + "\n").getBytes(StandardCharsets.US_ASCII));

        open(1 << 20, new ArrayList<>());

        assertThat(orphan).doesNotExist();
    }

    @Test
    void filesArePrivate() throws Exception {
        open(1 << 20, new ArrayList<>());
        JournalLocation location = append(id(1), message(1));
        journal.markDone(id(1), location);

        assertThat(files(journalDirectory())).contains(location.segment.file.getFileName() + JournalFormat.DONE_SUFFIX);
        for (String name : files(journalDirectory())) {
            assertThat(permissions(journalDirectory().resolve(name))).as(name).isEqualTo("rw-------");
        }
        assertThat(permissions(journalDirectory())).isEqualTo("rwx------");
    }

    @Test
    void zerosAfterTheLastRecordAreAnUnfinishedAppendAndAreIgnored() throws Exception {
        open(1 << 20, new ArrayList<>());
        JournalLocation location = append(id(1), message(1));
        Files.write(location.segment.file, new byte[4096], StandardOpenOption.APPEND);

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1));
        assertThat(files(corruptDirectory())).isEmpty();
    }

    @Test
    void segmentsAreZeroFilledAheadOfTheWritePosition() throws Exception {
        open(64L * 1024 * 1024, new ArrayList<>());
        JournalLocation location = append(id(1), message(1));

        assertThat(Files.size(location.segment.file)).isEqualTo(SegmentFiles.PREALLOCATION_BYTES);
        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(64L * 1024 * 1024, recovered);
        assertThat(recovered).extracting(record -> record.location.offset).containsExactly(location.offset);
        assertThat(files(corruptDirectory())).isEmpty();
    }

    @Test
    void theNextChunkIsZeroFilledInTheBackgroundBeforeAppendsReachIt() throws Exception {
        open(64L * 1024 * 1024, new ArrayList<>());
        byte[] big = new byte[256 * 1024];
        int count = 0;
        JournalLocation location = null;
        // past half of the first chunk: the filler starts on the next one
        while (count * (long) big.length <= SegmentFiles.PREALLOCATION_BYTES / 2) {
            location = append(id(count), big);
            count++;
        }

        Path segment = location.segment.file;
        Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> Files.size(segment), size -> size == 2 * SegmentFiles.PREALLOCATION_BYTES);
        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(64L * 1024 * 1024, recovered);
        assertThat(recovered).hasSize(count);
        assertThat(files(corruptDirectory())).isEmpty();
    }

    @Test
    void anAppendCutShortByACrashIsMovedAsideAndTheRecordsBeforeItKept() throws Exception {
        open(1 << 20, new ArrayList<>());
        append(id(1), message(1));
        JournalLocation second = append(id(2), message(2));
        Path segment = second.segment.file;
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            // the last blocks of the record never reached the disk
            file.seek(second.offset + second.length - 10);
            file.write(new byte[10]);
        }

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1));
        assertThat(files(corruptDirectory())).singleElement().asString().startsWith("journal-" + segment.getFileName() + "-");
    }

    @Test
    void aDamagedRecordIsCopiedAsidePrivatelyAndTheRecordsAfterItKept() throws Exception {
        open(1 << 20, new ArrayList<>());
        append(id(1), message(1));
        JournalLocation second = append(id(2), message(2));
        append(id(3), message(3));
        try (RandomAccessFile file = new RandomAccessFile(second.segment.file.toFile(), "rw")) {
            file.seek(second.offset + second.length - 20);
            file.write('X');
        }

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1), id(3));
        assertThat(files(corruptDirectory())).singleElement().asString().contains(id(2));
        assertThat(permissions(corruptDirectory().resolve(files(corruptDirectory()).get(0)))).isEqualTo("rw-------");
        assertThat(permissions(corruptDirectory())).isEqualTo("rwx------");
    }

    @Test
    void aRecordDamagedAfterStartIsReportedWhenReadAndCopiedAsideOnce() throws Exception {
        open(1 << 20, new ArrayList<>());
        JournalLocation location = append(id(1), message(1));
        try (RandomAccessFile file = new RandomAccessFile(location.segment.file.toFile(), "rw")) {
            file.seek(location.offset + location.length - 20);
            file.write('X');
        }

        assertThatThrownBy(() -> journal.read(location)).isInstanceOf(CorruptSpoolFileException.class).hasMessageContaining("checksum");
        journal.quarantine(id(1), location, "checksum mismatch");

        assertThat(files(corruptDirectory())).singleElement().asString().contains(id(1));
        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);
        assertThat(recovered).isEmpty();
        assertThat(files(corruptDirectory())).as("copied aside when quarantined, not again at each start").hasSize(1);
    }

    @Test
    void aDoneMarkCutShortByACrashDoesNotCountAndDoesNotSpoilTheNextOne() throws Exception {
        open(1 << 20, new ArrayList<>());
        JournalLocation first = append(id(1), message(1));
        append(id(2), message(2));
        Files.write(first.segment.doneFile, id(1).substring(0, 10).getBytes(StandardCharsets.US_ASCII));

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);
        assertThat(pending(recovered)).containsExactly(id(1), id(2));
        journal.markDone(id(1), recovered.get(0).location);

        List<JournalRecovery.Recovered> again = new ArrayList<>();
        open(1 << 20, again);
        assertThat(pending(again)).containsExactly(id(2));
    }

    @Test
    void damageInTheMiddleOfASegmentLosesOnlyTheDamagedRecord() throws Exception {
        open(1 << 20, new ArrayList<>());
        append(id(1), message(1));
        JournalLocation second = append(id(2), message(2));
        append(id(3), message(3));
        append(id(4), message(4));
        try (RandomAccessFile file = new RandomAccessFile(second.segment.file.toFile(), "rw")) {
            // overwrite the second record's frame line: its length can no longer be trusted
            file.seek(second.offset - 30);
            file.write("garbage garbage garbage garbage".getBytes(StandardCharsets.US_ASCII));
        }

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1), id(3), id(4));
        assertThat(files(corruptDirectory())).singleElement().asString().contains("damaged");
    }

    // --- bodies pinned in the journal, and what a restart reports ---

    @Test
    void aDoneMessageWhoseBodyIsStillPinnedKeepsItsSegmentAcrossRollOverUntilUnpinned() throws Exception {
        relocationDelay = Duration.ofHours(1);
        open(2000, new ArrayList<>());
        JournalLocation kept = append(id(1), new byte[400]);
        // its envelope is done, but a copy (an envelope elsewhere) still refers to its body
        journal.markDone(id(1), kept);
        JournalLocation other = kept;
        for (int i = 2; other.segment == kept.segment || i < 12; i++) {
            other = append(id(i), new byte[400]);
            finish(id(i), other);
        }
        Path segment = kept.segment.file;
        // segments rolled over and were retired meanwhile (in the background)
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !spareFiles().isEmpty());

        Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> Files.exists(segment));
        assertThat(journal.read(kept).message).isEqualTo(new byte[400]);

        journal.unpinBody(id(1), kept);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(segment));
        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(2000, recovered);
        assertThat(recovered).extracting(record -> record.id).doesNotContain(id(1));
    }

    @Test
    void aRestartReportsDoneMessagesForTheirBodiesAndOnlyTheEnvelopesNotDone() throws Exception {
        open(1 << 20, new ArrayList<>());
        JournalLocation doneMessage = append(id(1), JournalFormat.Kind.MESSAGE, message(1));
        journal.markDone(id(1), doneMessage);
        append(id(2), JournalFormat.Kind.MESSAGE, message(2));
        JournalLocation doneEnvelope = append(id(3), JournalFormat.Kind.ENVELOPE, NO_MESSAGE);
        journal.markDone(id(3), doneEnvelope);
        append(id(4), JournalFormat.Kind.ENVELOPE, NO_MESSAGE);

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        readBack(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id, record -> record.kind, record -> record.done).containsExactly(
            tuple(id(1), JournalFormat.Kind.MESSAGE, true),
            tuple(id(2), JournalFormat.Kind.MESSAGE, false),
            tuple(id(4), JournalFormat.Kind.ENVELOPE, false));
        assertThat(recovered.get(0).envelope).as("a done envelope is not handed back").isNull();
        assertThat(journal.read(recovered.get(0).location).message).as("the done message's body").isEqualTo(message(1));
        assertThat(recovered.get(1).envelope).isEqualTo(ENVELOPE);
        assertThat(recovered.get(2).envelope).isEqualTo(ENVELOPE);
        journal.startAppending();
        assertThat(Files.exists(recovered.get(0).location.segment.file)).isTrue();
    }

    @Test
    void aSegmentReadBackWithNothingLiveAndNoBodyPinnedIsRetiredAtStart() throws Exception {
        open(1 << 20, new ArrayList<>());
        JournalLocation location = append(id(1), message(1));
        journal.markDone(id(1), location);

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        readBack(1 << 20, recovered);
        assertThat(recovered).extracting(record -> record.id, record -> record.done).containsExactly(tuple(id(1), true));
        // no envelope refers to its body any more: nothing pins it
        journal.startAppending();

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(location.segment.file));
        assertThat(offers).isEmpty();
    }

    @Test
    void aSegmentKeptOnlyByPinnedBodiesIsOfferedAfterTheDelayWithExactlyThoseBodies() throws Exception {
        open(3000, new ArrayList<>());
        JournalLocation referred = append(id(1), new byte[100]);
        // its envelope is done, a copy elsewhere still refers to its body
        journal.markDone(id(1), referred);
        // a larger mail delivered meanwhile: the two bodies left are less than a quarter of the segment
        finish(id(2), append(id(2), new byte[1500]));
        JournalLocation alsoReferred = append(id(3), new byte[100]);
        journal.markDone(id(3), alsoReferred);
        JournalLocation live = append(id(4), JournalFormat.Kind.ENVELOPE, NO_MESSAGE);
        JournalSegment segment = referred.segment;
        assertThat(live.segment).isSameAs(segment);
        JournalLocation next = append(id(5), JournalFormat.Kind.ENVELOPE, new byte[2800]);
        assertThat(next.segment).as("rolled over").isNotSameAs(segment);

        Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .alias("not offered while an envelope in it is not done").until(offers::isEmpty);

        long onlyBodiesLeftSince = System.nanoTime();
        journal.markDone(id(4), live);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> offers.size() >= 1);
        Offer offer = offers.get(0);
        assertThat(offer.segment).isSameAs(segment);
        assertThat(offer.bodies).containsExactlyInAnyOrder(id(1), id(3));
        assertThat(Duration.ofNanos(offer.nanos - onlyBodiesLeftSince)).as("offered after the delay").isGreaterThanOrEqualTo(relocationDelay);
        // bodies the store did not move (a full disk, say) are offered again
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> offers.size() >= 2);

        // the store moves them out and lets go of them
        journal.unpinBody(id(1), referred);
        journal.unpinBody(id(3), alsoReferred);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(segment.file));
        int offered = offers.size();
        Thread.sleep(4 * relocationDelay.toMillis());
        assertThat(offers).as("nothing offered once retired").hasSize(offered);
    }

    @Test
    void aSegmentMostlyMadeOfBodiesStillWaitingIsKeptAsItIsAndOfferedOnceTheyAreAFewLeft() throws Exception {
        open(3000, new ArrayList<>());
        List<JournalLocation> waiting = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            // a next hop down: every mail of the segment is deferred, its body still needed
            JournalLocation location = append(id(i), new byte[400]);
            journal.markDone(id(i), location);
            waiting.add(location);
        }
        JournalSegment segment = waiting.get(0).segment;
        append(id(9), JournalFormat.Kind.ENVELOPE, new byte[2800]);

        Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
            .alias("moving every body out would free nothing: not offered").until(offers::isEmpty);

        for (int i = 1; i <= 3; i++) {
            journal.unpinBody(id(i), waiting.get(i - 1));
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> offers.size() >= 1);
        assertThat(offers.get(0).segment).isSameAs(segment);
        assertThat(offers.get(0).bodies).containsExactly(id(4));
    }

    @Test
    void aSegmentReadBackWithOnlyBodiesPinnedAtStartIsOfferedAfterTheDelay() throws Exception {
        open(1 << 20, new ArrayList<>());
        JournalLocation location = append(id(1), message(1));
        journal.markDone(id(1), location);

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        readBack(1 << 20, recovered);
        // a copy in deferred/ still refers to its body: the store pins it before appends start
        journal.pinBody(id(1), recovered.get(0).location);
        journal.startAppending();

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> offers.size() >= 1);
        assertThat(offers.get(0).segment.file).isEqualTo(location.segment.file);
        assertThat(offers.get(0).bodies).containsExactly(id(1));
        assertThat(Files.exists(location.segment.file)).isTrue();
    }

    @Test
    void appendsRollOverWhileTheBodiesOfASegmentAreBeingMovedOut() throws Exception {
        CountDownLatch moving = new CountDownLatch(1);
        CountDownLatch moved = new CountDownLatch(1);
        AtomicBoolean giveUp = new AtomicBoolean();
        relocationDelay = Duration.ofMillis(10);
        // the store copies the bodies to bodies/ (slow: a file and an fsync each), then unpins them
        onlyBodiesLeft = (segment, bodies) -> {
            moving.countDown();
            Uninterruptibles.awaitUninterruptibly(moved, 30, TimeUnit.SECONDS);
            if (!giveUp.get()) {
                bodies.forEach(body -> journal.unpinBody(body, new JournalLocation(segment, 0, 0)));
            }
        };
        open(2000, new ArrayList<>());
        JournalLocation kept = append(id(1), new byte[300]);
        journal.markDone(id(1), kept);
        // finished mail around it: its body is a small part of the segment, worth moving out
        finish(id(3), append(id(3), new byte[1200]));
        append(id(2), JournalFormat.Kind.ENVELOPE, new byte[1900]);
        assertThat(moving.await(10, TimeUnit.SECONDS)).as("the store is moving the bodies out").isTrue();

        ExecutorService appender = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "appender");
            thread.setDaemon(true);
            return thread;
        });
        try {
            Future<?> appends = appender.submit(() -> {
                for (int i = 10; i < 40; i++) {
                    journal.markDone(id(i), append(id(i), JournalFormat.Kind.ENVELOPE, new byte[300]));
                }
                return null;
            });
            boolean done;
            try {
                appends.get(10, TimeUnit.SECONDS);
                done = true;
            } catch (TimeoutException e) {
                // let it go on without the unpin, which would wait for the lock the append holds
                giveUp.set(true);
                done = false;
            }
            moved.countDown();
            appends.get(30, TimeUnit.SECONDS);
            assertThat(done).as("appends went on through several roll-overs while the bodies were being moved").isTrue();
        } finally {
            appender.shutdownNow();
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(kept.segment.file));
    }

    // --- frames forged in a message body ---

    @Test
    void framesForgedInAMessageBodyAreNeverTakenForRecordsWhenRecoveryLooksForTheNextRecord() throws Exception {
        open(1 << 20, new ArrayList<>());
        JournalLocation first = append(id(1), message(1));
        // written as if the sender knew this segment's epoch: kind letters that are none must still not count
        JournalLocation forged = append(id(2), forgedRecords(epochOf(first.segment.file)));
        append(id(3), JournalFormat.Kind.ENVELOPE, NO_MESSAGE);
        try (RandomAccessFile file = new RandomAccessFile(forged.segment.file.toFile(), "rw")) {
            // the forged mail's own frame line is damaged: recovery looks for the next record through its body
            file.seek(forged.offset - JournalFormat.frameLineLength(id(2)));
            file.write("XXXX".getBytes(StandardCharsets.US_ASCII));
        }

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1), id(3));
        assertThat(files(corruptDirectory())).singleElement().asString().contains("damaged");
        assertThat(new String(Files.readAllBytes(corruptDirectory().resolve(files(corruptDirectory()).get(0))), StandardCharsets.ISO_8859_1))
            .as("the damaged record with all of its body").contains(id(505)).contains(id(520)).contains(id(599));
    }

    @Test
    void concurrentAppendsAreAllDurableAndReadable() throws Exception {
        open(64 * 1024, new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(10);
        try {
            List<Future<JournalLocation>> appends = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                int n = i;
                appends.add(threads.submit(() -> append(id(n), message(n))));
            }
            for (int i = 0; i < 500; i++) {
                assertThat(journal.read(appends.get(i).get()).message).isEqualTo(message(i));
            }
        } finally {
            threads.shutdownNow();
        }

        List<JournalRecovery.Recovered> recovered = new ArrayList<>();
        open(64 * 1024, recovered);
        assertThat(recovered).hasSize(500);
        assertThat(pending(recovered)).containsExactlyInAnyOrderElementsOf(IntStream.range(0, 500).mapToObj(JournalTest::id).collect(Collectors.toList()));
    }
}
