package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 11: a table the heap cannot hold (a 100 MB transport exhausted the 1 GB heap) is
 * refused with its name and size before any of it is read, by a configurable limit per table.
 */
class TableSizeLimitTest {
    @TempDir
    Path dir;

    private PolicyDirectory policy() {
        return new PolicyDirectory(dir);
    }

    /** A sparse file: reading it would take a while and the whole heap; its size costs one stat. */
    private void sparse(String table, long bytes) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve(table).toFile(), "rw")) {
            file.setLength(bytes);
        }
    }

    @Test
    void aTableOverTheLimitIsRefusedWithItsNameAndSizeBeforeItIsRead() throws Exception {
        sparse("transport", 10L * 1024 * 1024 * 1024);

        long start = System.nanoTime();
        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(PolicyFileException.class)
            .hasMessage("transport:1: file is 10737418240 bytes (10.0 GiB), larger than the limit of 16777216 bytes (16.0 MiB)"
                + " per table (maxTableSize): not read");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void theDefaultLimitIsSixteenMebibytes() {
        assertThat(PolicyFileReader.DEFAULT_MAX_TABLE_BYTES).isEqualTo(16L * 1024 * 1024);
    }

    @Test
    void theLimitIsConfigurable() throws Exception {
        policy().write("transport", "a.example 10.0.0.1", "b.example 10.0.0.2");

        assertThatThrownBy(() -> PolicyTables.load(dir, PolicyDirectory.ME, 16))
            .isInstanceOf(PolicyFileException.class)
            .hasMessage("transport:1: file is 38 bytes, larger than the limit of 16 bytes per table (maxTableSize): not read");
        assertThat(PolicyTables.load(dir, PolicyDirectory.ME, ByteSize.parse("1k")).transport().rules()).hasSize(2);
    }

    @Test
    void aReloadOfATableGrownOverTheLimitKeepsTheLastGoodTables() throws Exception {
        policy().write("transport", "a.example 10.0.0.1");
        try (ReloadingPolicyTables tables = ReloadingPolicyTables.open(dir, PolicyDirectory.ME, 1024)) {
            policy().write("transport", "a.example 10.0.0.2", "#" + "x".repeat(2000));

            assertThat(tables.refreshIfChanged()).isFalse();
            assertThat(tables.current().resolve("u@a.example").nextHop().spec()).isEqualTo("10.0.0.1");
        }
    }

    @Test
    void sizesReadAsOperatorsWriteThem() {
        assertThat(ByteSize.parse("16m")).isEqualTo(16L << 20);
        assertThat(ByteSize.parse("16MB")).isEqualTo(16L << 20);
        assertThat(ByteSize.parse("16 MiB")).isEqualTo(16L << 20);
        assertThat(ByteSize.parse("512k")).isEqualTo(512L << 10);
        assertThat(ByteSize.parse("1g")).isEqualTo(1L << 30);
        assertThat(ByteSize.parse("1000")).isEqualTo(1000);
        assertThatThrownBy(() -> ByteSize.parse("lots")).hasMessage("'lots' is not a size such as 16m, 512k or 1g");
    }
}
