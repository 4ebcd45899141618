package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an attacker, a typo or a wrong `cp` can put in a policy file: refused with errors, never a crash or a stall. */
class HostileInputTest {
    @TempDir
    Path dir;

    private PolicyDirectory policy() {
        return new PolicyDirectory(dir);
    }

    @Test
    void refusesNestedRepetitionsThatWouldExhaustTheHeapWhileCompiling() {
        policy().write("transport", "/(((a{1000}){1000}){1000}){1000}/ relay.example", "/(a{1000}){1000}/ relay.example")
            .write("aliases", "root max", "((x{100}){100}){100} max");

        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("transport:1: regex /(((a{1000}){1000}){1000}){1000}/ is too large once its repetitions are expanded")
            .hasMessageContaining("transport:2: regex /(a{1000}){1000}/ is too large")
            .hasMessageContaining("aliases:2: regex ((x{100}){100}){100} is too large");
    }

    @Test
    void backtrackingBombsMatchInLinearTime() throws Exception {
        PolicyTables tables = policy().write("transport", "/(a*)*b/ x.example", "/(x+x+)+y/ y.example", "/^(a|aa)+$/ z.example").load();
        String address = "a".repeat(5000) + "@" + "x".repeat(200) + ".example";

        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            assertThat(tables.resolve(address).rule()).isEqualTo(Route.DEFAULT_RULE);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void binaryGarbageGivesCappedErrorsNotAnOutOfMemoryError() throws Exception {
        byte[] garbage = new byte[2_000_000];
        new Random(1).nextBytes(garbage);
        Files.write(dir.resolve("transport"), garbage);

        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(PolicyFileException.class)
            .satisfies(e -> {
                PolicyFileException error = (PolicyFileException) e;
                assertThat(error.errors()).hasSize(PolicyErrors.MAX_ERRORS_PER_FILE + 1);
                assertThat(error.errors().get(PolicyErrors.MAX_ERRORS_PER_FILE).message()).contains("more errors not shown");
            });
    }

    @Test
    void refusesAHugeLineWithoutDecodingIt() throws Exception {
        Files.writeString(dir.resolve("transport"), "ok.example mx\n" + "a".repeat(5_000_000) + " mx\n");

        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(PolicyFileException.class)
            .hasMessage("transport:2: line is longer than " + PolicyFileReader.MAX_LINE_CHARS + " characters");
    }

    @Test
    void refusesControlCharactersAndInvalidUtf8PerLine() throws Exception {
        Files.write(dir.resolve("rewrite"), new byte[] {'t', 'o', ' ', 'a', 0, ' ', 'b', '\n', 'f', 'r', 'o', 'm', ' ', (byte) 0xc3, '\n'});

        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("rewrite:1: line contains control characters")
            .hasMessageContaining("rewrite:2: line is not valid UTF-8 text");
    }
}
