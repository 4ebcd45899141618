package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Issue 19, item 5: a table that was loaded and then vanishes (removed by mistake, a link to a
 * lost mount) or becomes unreadable must not be taken as an empty table — an empty transport
 * sends every recipient by MX. The last good tables stay, with one ERROR line; only at the first
 * load is an absent file an empty table.
 */
class VanishedTableTest {
    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ReloadingPolicyTables.class);

    @BeforeEach
    void captureLog() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        logger.detachAppender(log);
    }

    private PolicyDirectory policy() {
        return new PolicyDirectory(dir);
    }

    private List<String> errors() {
        return log.list.stream().filter(event -> event.getLevel() == Level.ERROR)
            .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    /** A policy directory in which every table decides something visible. */
    private void writeEveryTable() {
        policy().write("variables", "hop 10.0.0.1")
            .write("transport", "a.example $hop", "mda.example /usr/bin/maildrop")
            .write("rewrite", "to old.example a.example")
            .write("aliases", "root max", "jo joseph");
    }

    @Test
    void aRemovedTransportKeepsTheLastGoodTablesAndLogsOneError() throws Exception {
        writeEveryTable();
        try (ReloadingPolicyTables tables = ReloadingPolicyTables.open(dir, PolicyDirectory.ME)) {
            Files.delete(dir.resolve("transport"));

            assertThat(tables.refreshIfChanged()).isFalse();
            assertThat(tables.refreshIfChanged()).isFalse();

            assertThat(tables.current().resolve("u@a.example").nextHop().spec()).as("not MX").isEqualTo("10.0.0.1");
            assertThat(errors()).singleElement().satisfies(line -> assertThat(line)
                .contains(dir.toString(), "transport vanished", "still using the last good version"));

            // putting it back (or writing a new one) is an edit like any other
            policy().write("transport", "a.example 10.0.0.2");
            assertThat(tables.refreshIfChanged()).isTrue();
            assertThat(tables.current().resolve("u@a.example").nextHop().spec()).isEqualTo("10.0.0.2");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"variables", "transport", "relayhost", "rewrite", "aliases"})
    void everyTableThatVanishesKeepsTheLastGoodTables(String table) throws Exception {
        writeEveryTable();
        policy().write("relayhost", "# not set");
        try (ReloadingPolicyTables tables = ReloadingPolicyTables.open(dir, PolicyDirectory.ME)) {
            PolicyTables before = tables.current();
            Files.delete(dir.resolve(table));

            assertThat(tables.refreshIfChanged()).isFalse();
            assertThat(tables.current()).isSameAs(before);
            assertThat(errors()).singleElement().satisfies(line -> assertThat(line).contains(table + " vanished"));
        }
    }

    @Test
    void aTableThatCannotBeReadKeepsTheLastGoodTables() throws Exception {
        writeEveryTable();
        try (ReloadingPolicyTables tables = ReloadingPolicyTables.open(dir, PolicyDirectory.ME)) {
            // what a root-run test can make unreadable: permissions do not stop root
            Files.delete(dir.resolve("transport"));
            Files.createDirectory(dir.resolve("transport"));

            assertThat(tables.refreshIfChanged()).isFalse();
            assertThat(tables.current().resolve("u@a.example").nextHop().spec()).isEqualTo("10.0.0.1");
            assertThat(errors()).singleElement().satisfies(line -> assertThat(line).contains("still using the last good version"));
        }
    }

    @Test
    void aLinkToALostMountKeepsTheLastGoodTables() throws Exception {
        Path mount = Files.createDirectory(dir.resolve("mnt"));
        Path policyDirectory = Files.createDirectory(dir.resolve("policy"));
        Files.writeString(mount.resolve("transport"), "a.example 10.0.0.1\n");
        Files.createSymbolicLink(policyDirectory.resolve("transport"), mount.resolve("transport"));
        try (ReloadingPolicyTables tables = ReloadingPolicyTables.open(policyDirectory, PolicyDirectory.ME)) {
            Files.delete(mount.resolve("transport"));

            assertThat(tables.refreshIfChanged()).isFalse();
            assertThat(tables.current().resolve("u@a.example").nextHop().spec()).isEqualTo("10.0.0.1");
        }
    }

    @Test
    void aLinkToALostMountIsAnErrorAtStartNotAnEmptyTable() throws Exception {
        Files.createSymbolicLink(dir.resolve("transport"), dir.resolve("lost-mount/transport"));

        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(NoSuchFileException.class)
            .hasMessageContaining("a symbolic link whose target is missing");
    }

    @Test
    void atTheFirstLoadAnAbsentTableIsEmpty() throws Exception {
        policy().write("transport", "a.example 10.0.0.1");

        PolicyTables tables = policy().load();

        assertThat(tables.aliases()).isEmpty();
        assertThat(tables.relayHost()).isEmpty();
        assertThat(tables.rewrite().rules()).isEmpty();
    }
}
