package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IncomingJournalTest {
    static final byte[] ENVELOPE = "{\"name\":\"m\",\"recipients\":[]}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path root;
    IncomingJournal journal;

    @AfterEach
    void close() {
        if (journal != null) {
            journal.close();
        }
    }

    Path journalDirectory() {
        return root.resolve("incoming/journal");
    }

    IncomingJournal open(long segmentBytes, List<IncomingJournal.Recovered> recovered) throws IOException {
        if (journal != null) {
            journal.close();
        }
        journal = IncomingJournal.open(journalDirectory(), root.resolve("corrupt"), true, segmentBytes, recovered);
        return journal;
    }

    static byte[] message(int i) {
        return ("Subject: mail " + i + "\r\n\r\nbody " + i + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    static String id(int i) {
        return SpoolNames.queueId(0x100000 + i, i, 1);
    }

    List<String> files(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void readsBackWhatWasAppendedByteForByte() throws Exception {
        open(1 << 20, new ArrayList<>());

        IncomingJournal.Location location = journal.append(id(1), ENVELOPE, message(1));

        SpoolFileFormat.Record record = journal.read(location);
        assertThat(record.envelope).isEqualTo(ENVELOPE);
        assertThat(record.message).isEqualTo(message(1));
    }

    @Test
    void aRestartGivesBackExactlyTheMailsNotDoneInTheirOrder() throws Exception {
        open(1 << 20, new ArrayList<>());
        List<IncomingJournal.Location> locations = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            locations.add(journal.append(id(i), ENVELOPE, message(i)));
        }
        journal.markDone(id(1), locations.get(1));
        journal.markDone(id(3), locations.get(3));

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(0), id(2), id(4));
        assertThat(journal.read(recovered.get(1).location).message).isEqualTo(message(2));
    }

    List<String> segmentFiles() throws IOException {
        return files(journalDirectory()).stream().filter(name -> name.matches(IncomingJournal.SEGMENT_PREFIX + "[0-9a-f]{16}")).collect(Collectors.toList());
    }

    List<String> spareFiles() throws IOException {
        return files(journalDirectory()).stream().filter(name -> name.startsWith(IncomingJournal.SPARE_PREFIX)).collect(Collectors.toList());
    }

    @Test
    void segmentsRollOverAndAreRetiredOnceAllTheirMailsAreDone() throws Exception {
        open(600, new ArrayList<>());
        List<IncomingJournal.Location> locations = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            locations.add(journal.append(id(i), ENVELOPE, message(i)));
        }
        assertThat(segmentFiles()).hasSizeGreaterThan(3);

        for (int i = 0; i < 20; i++) {
            journal.markDone(id(i), locations.get(i));
        }

        // left: the segment open for appends, the one created ahead, and finished files kept for reuse
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<String> segments = segmentFiles();
            assertThat(segments).hasSizeLessThanOrEqualTo(2);
            assertThat(spareFiles()).hasSize(IncomingJournal.MAX_SPARES);
            assertThat(files(journalDirectory())).filteredOn(name -> name.endsWith(IncomingJournal.DONE_SUFFIX))
                .allMatch(name -> segments.contains(name.substring(0, name.length() - IncomingJournal.DONE_SUFFIX.length())));
        });
        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(600, recovered);
        assertThat(recovered).isEmpty();
    }

    @Test
    void aReusedFilesOldRecordsNeverComeBack() throws Exception {
        open(2000, new ArrayList<>());
        finishMailsUntilTheSparesAreFull();

        // small records go into the reused files, over the start of their old ones
        List<String> fresh = new ArrayList<>();
        for (int i = 100; spareFiles().size() == IncomingJournal.MAX_SPARES || fresh.size() < 30; i++) {
            journal.append(id(i), ENVELOPE, message(i));
            fresh.add(id(i));
        }
        boolean oldRecordsOnDisk = false;
        for (String name : segmentFiles()) {
            String content = new String(Files.readAllBytes(journalDirectory().resolve(name)), StandardCharsets.ISO_8859_1);
            oldRecordsOnDisk |= IntStream.range(0, 12).anyMatch(i -> content.contains(id(i)));
        }
        assertThat(oldRecordsOnDisk).as("a segment file still holds records from before it was reused").isTrue();

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(2000, recovered);
        assertThat(recovered).extracting(record -> record.id).containsExactlyElementsOf(fresh);
        assertThat(files(root.resolve("corrupt"))).isEmpty();
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
            journal.append(id(i), ENVELOPE, new byte[400]);
            appended.add(id(i));
            assertThat(appended).as("spares reused within a few segments").hasSizeLessThan(40);
        }

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(2000, recovered);
        assertThat(recovered).extracting(record -> record.id).containsExactlyElementsOf(appended);
        assertThat(files(root.resolve("corrupt"))).isEmpty();
    }

    /** Twelve 400-byte mails over several 2,000-byte segments, all done: their files become the spares. */
    void finishMailsUntilTheSparesAreFull() throws IOException {
        List<IncomingJournal.Location> locations = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            locations.add(journal.append(id(i), ENVELOPE, new byte[400]));
        }
        for (int i = 0; i < 12; i++) {
            journal.markDone(id(i), locations.get(i));
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spareFiles().size() == IncomingJournal.MAX_SPARES);
    }

    /** A done mail whose body holds forged records, in a segment that becomes a spare; returns the ids still live. */
    List<String> retireASegmentHoldingForgedRecords() throws IOException {
        IncomingJournal.Location forged = journal.append(id(1), ENVELOPE, forgedRecords());
        // too big to share a segment with it: the forged mail's segment can be retired
        journal.append(id(2), ENVELOPE, new byte[3000]);
        journal.markDone(id(1), forged);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spareFiles().size() == 1);
        return new ArrayList<>(List.of(id(2)));
    }

    /** Appends small mails until one lands in a segment made from a spare; returns their ids. */
    List<IncomingJournal.Location> appendUntilASpareIsInUse(List<String> ids) throws IOException {
        List<IncomingJournal.Location> locations = new ArrayList<>();
        String reused = null;
        for (int i = 1000; i < 1200; i++) {
            if (reused == null && spareFiles().isEmpty()) {
                // the segment made ahead took the spare: it has the highest number
                reused = segmentFiles().get(segmentFiles().size() - 1);
            }
            IncomingJournal.Location location = journal.append(id(i), ENVELOPE, message(i));
            ids.add(id(i));
            locations.add(location);
            if (reused != null && location.describe().getFileName().toString().startsWith(reused + "@")) {
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

    static byte[] forgedRecords() {
        // what a sender could put in a message body: records for every segment number and for the old format
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes("x".repeat(1000).getBytes(StandardCharsets.US_ASCII));
        byte[] record = SpoolFileFormat.encode(ENVELOPE, message(666), 0);
        String length = String.format("%016x", record.length);
        for (int n = 0; n < 20; n++) {
            body.writeBytes(String.format("PRJ2 %016x %s %s\n", n, id(500 + n), length).getBytes(StandardCharsets.US_ASCII));
            body.writeBytes(record);
        }
        body.writeBytes(("PRJ1 " + id(599) + " " + length + "\n").getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(record);
        return body.toByteArray();
    }

    @Test
    void recordsForgedInAMailBodyAreNeverTakenForMails() throws Exception {
        open(6000, new ArrayList<>());
        List<String> fresh = retireASegmentHoldingForgedRecords();
        List<IncomingJournal.Location> locations = appendUntilASpareIsInUse(fresh);
        String reused = locations.get(locations.size() - 1).describe().getFileName().toString().replaceAll("@.*", "");
        assertThat(new String(Files.readAllBytes(journalDirectory().resolve(reused)), StandardCharsets.ISO_8859_1))
            .as("the forged records are still in the reused file").contains(id(505)).contains(id(599));

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(6000, recovered);
        assertThat(recovered).extracting(record -> record.id).containsExactlyElementsOf(fresh);
        assertThat(files(root.resolve("corrupt"))).isEmpty();
    }

    @Test
    void anAppendCutShortInAReusedFileIsCopiedAsideAndItsOldContentIsNot() throws Exception {
        open(6000, new ArrayList<>());
        List<String> fresh = retireASegmentHoldingForgedRecords();
        List<IncomingJournal.Location> locations = appendUntilASpareIsInUse(fresh);
        IncomingJournal.Location last = locations.get(locations.size() - 1);
        Path segment = journalDirectory().resolve(last.describe().getFileName().toString().replaceAll("@.*", ""));
        String epoch = new String(Files.readAllBytes(segment), StandardCharsets.US_ASCII).substring(5, 21);
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            // the next append's frame line reached the disk, its record did not
            file.seek(last.offset + last.length);
            file.write(("PRJ2 " + epoch + " " + id(3) + " 00000000000010").getBytes(StandardCharsets.US_ASCII));
        }

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(6000, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactlyElementsOf(fresh);
        assertThat(files(root.resolve("corrupt"))).singleElement().asString().contains("damaged");
        Path copy = root.resolve("corrupt").resolve(files(root.resolve("corrupt")).get(0));
        assertThat(new String(Files.readAllBytes(copy), StandardCharsets.ISO_8859_1))
            .as("the cut-short frame line, not the old content after it").contains(id(3)).doesNotContain(id(505));
    }

    @Test
    void aSegmentNumberUsedAgainBringsBackNothingOfTheFileItReuses() throws Exception {
        open(2000, new ArrayList<>());
        finishMailsUntilTheSparesAreFull();
        journal.close();
        journal = null;
        // a crash after the segments were deleted: the next start numbers from 1 again
        for (String name : files(journalDirectory())) {
            if (name.startsWith(IncomingJournal.SEGMENT_PREFIX)) {
                Files.delete(journalDirectory().resolve(name));
            }
        }

        open(2000, new ArrayList<>());
        IncomingJournal.Location first = journal.append(id(100), ENVELOPE, message(100));
        assertThat(first.describe().getFileName().toString()).startsWith(IncomingJournal.SEGMENT_PREFIX + "0000000000000001@");
        String content = new String(Files.readAllBytes(journalDirectory().resolve(IncomingJournal.SEGMENT_PREFIX + "0000000000000001")), StandardCharsets.ISO_8859_1);
        assertThat(IntStream.range(0, 12).anyMatch(i -> content.contains(id(i)))).as("the reused file still holds old records").isTrue();

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(2000, recovered);
        assertThat(recovered).extracting(record -> record.id).containsExactly(id(100));
        assertThat(files(root.resolve("corrupt"))).isEmpty();
    }

    @Test
    void aSegmentWhoseHeaderIsUnreadableIsMovedAsideWholeForAnOperator() throws Exception {
        open(1 << 20, new ArrayList<>());
        journal.append(id(1), ENVELOPE, message(1));
        journal.append(id(2), ENVELOPE, message(2));
        Path segment = journalDirectory().resolve(segmentFiles().get(0));
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.write("XXXX".getBytes(StandardCharsets.US_ASCII));
        }

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).isEmpty();
        assertThat(files(journalDirectory())).doesNotContain(segment.getFileName().toString());
        assertThat(files(root.resolve("corrupt"))).singleElement().asString()
            .startsWith("journal-" + segment.getFileName() + "-header-");
        assertThat(new String(Files.readAllBytes(root.resolve("corrupt").resolve(files(root.resolve("corrupt")).get(0))), StandardCharsets.ISO_8859_1))
            .contains(id(1)).contains(id(2));
    }

    @Test
    void aRecordForgedForASegmentOfAnEarlierVersionIsNeverTakenForAMail() throws Exception {
        SpoolDirectory.createPrivateDirectories(journalDirectory());
        byte[] record = SpoolFileFormat.encode(ENVELOPE, message(1), 0);
        String length = String.format("%016x", record.length);
        java.io.ByteArrayOutputStream segment = new java.io.ByteArrayOutputStream();
        segment.writeBytes(("PRJ1 " + id(1) + " " + length + "\n").getBytes(StandardCharsets.US_ASCII));
        segment.writeBytes(record);
        segment.writeBytes("damage".getBytes(StandardCharsets.US_ASCII));
        // epoch 0 is a legacy segment's: a frame naming it is never one of ours
        segment.writeBytes(("PRJ2 0000000000000000 " + id(2) + " " + length + "\n").getBytes(StandardCharsets.US_ASCII));
        segment.writeBytes(record);
        segment.writeBytes(("PRJ1 " + id(3) + " " + length + "\n").getBytes(StandardCharsets.US_ASCII));
        segment.writeBytes(record);
        Files.write(journalDirectory().resolve(IncomingJournal.SEGMENT_PREFIX + "0000000000000001"), segment.toByteArray());

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(item -> item.id).containsExactly(id(1), id(3));
        assertThat(files(root.resolve("corrupt"))).singleElement().asString().contains("damaged");
    }

    @Test
    void aDoneMarkAfterCloseIsWrittenAndItsFileClosed() throws Exception {
        open(1 << 20, new ArrayList<>());
        IncomingJournal.Location location = journal.append(id(1), ENVELOPE, message(1));
        journal.close();

        journal.markDone(id(1), location);
        assertThatThrownBy(() -> journal.append(id(2), ENVELOPE, message(2))).isInstanceOf(IOException.class).hasMessageContaining("closed");
        assertThat(openFiles()).noneMatch(file -> file.endsWith(IncomingJournal.DONE_SUFFIX));

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);
        assertThat(recovered).isEmpty();
    }

    @Test
    void aDoneLogWhoseSegmentIsGoneIsDeletedAtStart() throws Exception {
        SpoolDirectory.createPrivateDirectories(journalDirectory());
        Path orphan = journalDirectory().resolve(IncomingJournal.SEGMENT_PREFIX + "00000000000000ff" + IncomingJournal.DONE_SUFFIX);
        Files.write(orphan, (id(1) + "\n").getBytes(StandardCharsets.US_ASCII));

        open(1 << 20, new ArrayList<>());

        assertThat(orphan).doesNotExist();
    }

    @Test
    void aSegmentWrittenByAnEarlierVersionIsReadBack() throws Exception {
        SpoolDirectory.createPrivateDirectories(journalDirectory());
        byte[] record = SpoolFileFormat.encode(ENVELOPE, message(1), 0);
        String length = Long.toHexString(record.length);
        byte[] frame = ("PRJ1 " + id(1) + " " + "0".repeat(16 - length.length()) + length + "\n").getBytes(StandardCharsets.US_ASCII);
        Path segment = journalDirectory().resolve(IncomingJournal.SEGMENT_PREFIX + "0000000000000001");
        Files.write(segment, frame);
        Files.write(segment, record, StandardOpenOption.APPEND);

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(item -> item.id).containsExactly(id(1));
        assertThat(journal.read(recovered.get(0).location).message).isEqualTo(message(1));
        assertThat(files(root.resolve("corrupt"))).isEmpty();
    }

    @Test
    void filesArePrivate() throws Exception {
        open(1 << 20, new ArrayList<>());
        IncomingJournal.Location location = journal.append(id(1), ENVELOPE, message(1));
        journal.markDone(id(1), location);

        for (String name : files(journalDirectory())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(journalDirectory().resolve(name)))).isEqualTo("rw-------");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(journalDirectory()))).isEqualTo("rwx------");
    }

    @Test
    void zerosAfterTheLastRecordAreAnUnfinishedAppendAndAreIgnored() throws Exception {
        open(1 << 20, new ArrayList<>());
        journal.append(id(1), ENVELOPE, message(1));
        Path segment = journalDirectory().resolve(files(journalDirectory()).get(0));
        Files.write(segment, new byte[4096], StandardOpenOption.APPEND);

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1));
        assertThat(files(root.resolve("corrupt"))).isEmpty();
    }

    @Test
    void segmentsAreZeroFilledAheadOfTheWritePosition() throws Exception {
        open(64L * 1024 * 1024, new ArrayList<>());
        IncomingJournal.Location location = journal.append(id(1), ENVELOPE, message(1));

        Path segment = journalDirectory().resolve(files(journalDirectory()).get(0));
        assertThat(Files.size(segment)).isEqualTo(IncomingJournal.PREALLOCATION_BYTES);
        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(64L * 1024 * 1024, recovered);
        assertThat(recovered).extracting(record -> record.location.offset).containsExactly(location.offset);
        assertThat(files(root.resolve("corrupt"))).isEmpty();
    }

    @Test
    void theNextChunkIsZeroFilledInTheBackgroundBeforeAppendsReachIt() throws Exception {
        open(64L * 1024 * 1024, new ArrayList<>());
        byte[] big = new byte[256 * 1024];
        int count = 0;
        // past half of the first chunk: the filler starts on the next one
        while (count * (long) big.length <= IncomingJournal.PREALLOCATION_BYTES / 2) {
            journal.append(id(count), ENVELOPE, big);
            count++;
        }

        Path segment = journalDirectory().resolve(files(journalDirectory()).get(0));
        Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> Files.size(segment), size -> size == 2 * IncomingJournal.PREALLOCATION_BYTES);
        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(64L * 1024 * 1024, recovered);
        assertThat(recovered).hasSize(count);
        assertThat(files(root.resolve("corrupt"))).isEmpty();
    }

    @Test
    void anAppendCutShortByACrashIsMovedAsideAndTheRecordsBeforeItKept() throws Exception {
        open(1 << 20, new ArrayList<>());
        journal.append(id(1), ENVELOPE, message(1));
        IncomingJournal.Location second = journal.append(id(2), ENVELOPE, message(2));
        Path segment = journalDirectory().resolve(files(journalDirectory()).get(0));
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            // the last blocks of the record never reached the disk
            file.seek(second.offset + second.length - 10);
            file.write(new byte[10]);
        }

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1));
        assertThat(files(root.resolve("corrupt"))).singleElement().asString().startsWith("journal-" + segment.getFileName() + "-");
    }

    @Test
    void aDamagedRecordIsMovedAsideAndTheRecordsAfterItKept() throws Exception {
        open(1 << 20, new ArrayList<>());
        journal.append(id(1), ENVELOPE, message(1));
        IncomingJournal.Location second = journal.append(id(2), ENVELOPE, message(2));
        journal.append(id(3), ENVELOPE, message(3));
        Path segment = journalDirectory().resolve(files(journalDirectory()).get(0));
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.seek(second.offset + second.length - 20);
            file.write('X');
        }

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1), id(3));
        assertThat(files(root.resolve("corrupt"))).singleElement().asString().contains(id(2));
    }

    @Test
    void aRecordDamagedAfterStartIsReportedWhenRead() throws Exception {
        open(1 << 20, new ArrayList<>());
        IncomingJournal.Location location = journal.append(id(1), ENVELOPE, message(1));
        Path segment = journalDirectory().resolve(files(journalDirectory()).get(0));
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.seek(location.offset + location.length - 20);
            file.write('X');
        }

        assertThatThrownBy(() -> journal.read(location)).isInstanceOf(CorruptSpoolFileException.class).hasMessageContaining("checksum");
        journal.quarantine(id(1), location, "checksum mismatch");

        assertThat(files(root.resolve("corrupt"))).singleElement().asString().contains(id(1));
        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);
        assertThat(recovered).isEmpty();
    }

    @Test
    void aDoneMarkCutShortByACrashDoesNotCountAndDoesNotSpoilTheNextOne() throws Exception {
        open(1 << 20, new ArrayList<>());
        journal.append(id(1), ENVELOPE, message(1));
        journal.append(id(2), ENVELOPE, message(2));
        String segment = files(journalDirectory()).get(0);
        Files.write(journalDirectory().resolve(segment + IncomingJournal.DONE_SUFFIX), id(1).substring(0, 10).getBytes(StandardCharsets.US_ASCII));

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);
        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1), id(2));
        journal.markDone(id(1), recovered.get(0).location);

        List<IncomingJournal.Recovered> again = new ArrayList<>();
        open(1 << 20, again);
        assertThat(again).extracting(record -> record.id).containsExactly(id(2));
    }

    @Test
    void damageInTheMiddleOfASegmentLosesOnlyTheDamagedRecord() throws Exception {
        open(1 << 20, new ArrayList<>());
        journal.append(id(1), ENVELOPE, message(1));
        IncomingJournal.Location second = journal.append(id(2), ENVELOPE, message(2));
        journal.append(id(3), ENVELOPE, message(3));
        journal.append(id(4), ENVELOPE, message(4));
        Path segment = journalDirectory().resolve(files(journalDirectory()).get(0));
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            // overwrite the second record's frame line: its length can no longer be trusted
            file.seek(second.offset - 30);
            file.write("garbage garbage garbage garbage".getBytes(StandardCharsets.US_ASCII));
        }

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(1 << 20, recovered);

        assertThat(recovered).extracting(record -> record.id).containsExactly(id(1), id(3), id(4));
        assertThat(files(root.resolve("corrupt"))).singleElement().asString().contains("damaged");
    }

    @Test
    void concurrentAppendsAreAllDurableAndReadable() throws Exception {
        open(64 * 1024, new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(10);
        try {
            List<Future<IncomingJournal.Location>> appends = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                int n = i;
                appends.add(threads.submit(() -> journal.append(id(n), ENVELOPE, message(n))));
            }
            for (int i = 0; i < 500; i++) {
                assertThat(journal.read(appends.get(i).get()).message).isEqualTo(message(i));
            }
        } finally {
            threads.shutdownNow();
        }

        List<IncomingJournal.Recovered> recovered = new ArrayList<>();
        open(64 * 1024, recovered);
        assertThat(recovered).hasSize(500);
    }
}
