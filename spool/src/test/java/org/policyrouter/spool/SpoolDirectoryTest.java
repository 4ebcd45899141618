package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolDirectoryTest {
    static final byte[] ENVELOPE = "{\"name\":\"m1\",\"recipients\":[]}".getBytes(StandardCharsets.UTF_8);
    static final byte[] MESSAGE = "Subject: hi\r\n\r\nbody\r\n.leading dot\r\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path root;
    SpoolDirectory incoming;

    @BeforeEach
    void open() throws IOException {
        incoming = SpoolDirectory.open(root.resolve("spool/incoming"), root.resolve("spool/corrupt"), Fsyncs.ON);
    }

    @Test
    void readsBackTheEnvelopeAndTheMessageByteForByte() throws Exception {
        incoming.write("m1", ENVELOPE, out -> out.write(MESSAGE));

        SpoolFileFormat.Record record = incoming.read("m1");

        assertThat(record.envelope).isEqualTo(ENVELOPE);
        assertThat(record.message).isEqualTo(MESSAGE);
        assertThat(incoming.readEnvelope("m1")).isEqualTo(ENVELOPE);
    }

    @Test
    void createsANewRecordLeavingNothingButTheFinalFile() throws Exception {
        incoming.create("1A0001", ENVELOPE, out -> out.write(MESSAGE));

        assertThat(incoming.read("1A0001").message).isEqualTo(MESSAGE);
        try (var files = Files.list(incoming.path())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("1A0001");
        }
    }

    @Test
    void aFailedCreateLeavesNoFileAtAll() {
        assertThatThrownBy(() -> incoming.create("1A0002", ENVELOPE, out -> {
            throw new IOException("connection lost in DATA");
        })).hasMessage("connection lost in DATA");

        assertThat(incoming.path().toFile().list()).isEmpty();
    }

    @Test
    void keepsMailPrivateToItsOwner() throws Exception {
        incoming.write("m1", ENVELOPE, out -> out.write(MESSAGE));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(incoming.file("m1")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("spool/incoming")))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("spool")))).isEqualTo("rwx------");
    }

    @Test
    void leavesNoTemporaryFileBehind() throws Exception {
        incoming.write("m1", ENVELOPE, out -> out.write(MESSAGE));

        try (var files = Files.list(incoming.path())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("m1");
        }
    }

    @Test
    void removesTemporaryFilesACrashLeftBehind() throws Exception {
        Files.write(incoming.path().resolve(SpoolDirectory.TEMP_PREFIX + "half-written"), new byte[] {1, 2, 3});

        SpoolDirectory reopened = SpoolDirectory.open(incoming.path(), root.resolve("spool/corrupt"), Fsyncs.ON);

        assertThat(reopened.names()).isEmpty();
        try (var files = Files.list(incoming.path())) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aFailedWriteKeepsThePreviousVersion() throws Exception {
        incoming.write("m1", ENVELOPE, out -> out.write(MESSAGE));

        assertThatThrownBy(() -> incoming.write("m1", ENVELOPE, out -> {
            out.write("partial".getBytes(StandardCharsets.US_ASCII));
            throw new IOException("client went away");
        })).hasMessage("client went away");

        assertThat(incoming.read("m1").message).isEqualTo(MESSAGE);
        assertThat(incoming.names()).containsExactly("m1");
    }

    @Test
    void replacesARecordWrittenTwiceUnderOneName() throws Exception {
        incoming.write("m1", ENVELOPE, out -> out.write(MESSAGE));
        incoming.write("m1", ENVELOPE, out -> out.write("Subject: new\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));

        assertThat(new String(incoming.read("m1").message, StandardCharsets.US_ASCII)).isEqualTo("Subject: new\r\n\r\n");
    }

    @Test
    void detectsATruncatedFileFromItsSizeAlone() throws Exception {
        incoming.write("m1", ENVELOPE, out -> out.write(MESSAGE));
        try (RandomAccessFile file = new RandomAccessFile(incoming.file("m1").toFile(), "rw")) {
            file.setLength(file.length() - 5);
        }

        assertThatThrownBy(() -> incoming.readEnvelope("m1")).isInstanceOf(CorruptSpoolFileException.class)
            .hasMessageContaining("does not match its header");
    }

    @Test
    void detectsAChangedByteByItsChecksum() throws Exception {
        incoming.write("m1", ENVELOPE, out -> out.write(MESSAGE));
        try (RandomAccessFile file = new RandomAccessFile(incoming.file("m1").toFile(), "rw")) {
            long position = SpoolFileFormat.HEADER_LENGTH + ENVELOPE.length + 3;
            file.seek(position);
            file.write('X');
        }

        assertThatThrownBy(() -> incoming.read("m1")).isInstanceOf(CorruptSpoolFileException.class).hasMessageContaining("checksum");
    }

    @Test
    void rejectsAFileThatIsNotASpoolFile() throws Exception {
        Files.write(incoming.path().resolve("stray"), "hello, this is not a spool file at all, no, really not a spool file".getBytes(StandardCharsets.US_ASCII));

        assertThatThrownBy(() -> incoming.readEnvelope("stray")).isInstanceOf(CorruptSpoolFileException.class).hasMessageContaining("bad header");
    }

    @Test
    void movesACorruptFileAsideToCorrupt() throws Exception {
        incoming.write("m1", ENVELOPE, out -> out.write(MESSAGE));

        incoming.quarantine("m1", "test");

        assertThat(incoming.names()).isEmpty();
        try (var files = Files.list(root.resolve("spool/corrupt"))) {
            assertThat(files.map(p -> p.getFileName().toString())).singleElement().asString().startsWith("incoming-m1-");
        }
    }

    @Test
    void neverTurnsAPathLikeNameIntoAPath() {
        assertThatThrownBy(() -> incoming.file("../escape")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> incoming.file("a/b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> incoming.file(".hidden")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void movesAFileBetweenDirectories() throws Exception {
        SpoolDirectory active = SpoolDirectory.open(root.resolve("spool/active"), root.resolve("spool/corrupt"), Fsyncs.ON);
        incoming.write("m1", ENVELOPE, out -> out.write(MESSAGE));

        active.moveFrom(incoming, "m1", true);

        assertThat(incoming.names()).isEmpty();
        assertThat(active.read("m1").message).isEqualTo(MESSAGE);
    }
}
