package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

class ReloadingPolicyTablesTest {
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

    private ReloadingPolicyTables open() throws Exception {
        return ReloadingPolicyTables.open(dir, PolicyDirectory.ME);
    }

    /** As if written long ago: outside the window where an edit could hide in the same timestamp. */
    private void age(String... files) throws Exception {
        for (String file : files) {
            Files.setLastModifiedTime(dir.resolve(file), FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        }
    }

    private static String hopFor(PolicyTables tables, String address) {
        return tables.resolve(address).nextHop().spec();
    }

    @Test
    void picksUpAValidEdit() throws Exception {
        policy().write("transport", "a.example 10.0.0.1");
        age("transport");
        try (ReloadingPolicyTables tables = open()) {
            PolicyTables before = tables.current();
            policy().write("transport", "a.example 10.0.0.2", "b.example mx");

            assertThat(tables.refreshIfChanged()).isTrue();
            assertThat(hopFor(tables.current(), "u@a.example")).isEqualTo("10.0.0.2");
            assertThat(hopFor(before, "u@a.example")).as("an old snapshot never changes").isEqualTo("10.0.0.1");
        }
    }

    @Test
    void doesNotReloadUnchangedFiles() throws Exception {
        policy().write("transport", "a.example 10.0.0.1").write("aliases", "root max");
        age("transport", "aliases");
        try (ReloadingPolicyTables tables = open()) {
            PolicyTables first = tables.current();

            assertThat(tables.refreshIfChanged()).isFalse();
            assertThat(tables.current()).isSameAs(first);
        }
    }

    @Test
    void keepsTheLastGoodTablesAndLogsEveryErrorOfAnInvalidEdit() throws Exception {
        policy().write("transport", "a.example 10.0.0.1");
        try (ReloadingPolicyTables tables = open()) {
            policy().write("transport", "a.example 10.0.0.9", "b.example host:99999", "c.example $undefined");

            assertThat(tables.refreshIfChanged()).isFalse();
            assertThat(hopFor(tables.current(), "u@a.example")).isEqualTo("10.0.0.1");
            assertThat(log.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList()))
                .anyMatch(line -> line.contains("still using the last good version"))
                .contains("transport:2: port 99999 out of range 1-65535 in relay host 'host:99999'",
                    "transport:3: undefined variable $undefined (define it in variables)");
            assertThat(tables.lastReloadFailure()).hasValue("transport:2: port 99999 out of range 1-65535 in relay host 'host:99999'; "
                + "transport:3: undefined variable $undefined (define it in variables)");

            policy().write("transport", "a.example 10.0.0.3");
            assertThat(tables.refreshIfChanged()).isTrue();
            assertThat(tables.lastReloadFailure()).isEmpty();
            assertThat(hopFor(tables.current(), "u@a.example")).isEqualTo("10.0.0.3");
        }
    }

    @Test
    void anUnterminatedQuoteInAPipeCommandKeepsTheLastGoodTables() throws Exception {
        policy().write("transport", "x.example |/bin/prog \"quoted arg\"");
        try (ReloadingPolicyTables tables = open()) {
            policy().write("transport", "x.example |/bin/prog \"unterminated");

            assertThat(tables.refreshIfChanged()).isFalse();
            assertThat(tables.current().resolve("u@x.example").nextHop().argv()).containsExactly("/bin/prog", "quoted arg");
            assertThat(log.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList()))
                .contains("transport:1: unterminated quote (\") in '/bin/prog \"unterminated'");
        }
    }

    @Test
    void picksUpAnAddedFileAndOneEmptiedAgain() throws Exception {
        policy().write("transport", "a.example 10.0.0.1");
        age("transport");
        try (ReloadingPolicyTables tables = open()) {
            policy().write("relayhost", "relayhost 10.9.9.9");
            assertThat(tables.refreshIfChanged()).isTrue();
            assertThat(tables.current().resolve("u@a.example").rule()).isEqualTo(Route.RELAYHOST_RULE);

            // turning a table off is emptying it: a removed file keeps the last good tables (VanishedTableTest)
            policy().write("relayhost", "# off");
            assertThat(tables.refreshIfChanged()).isTrue();
            assertThat(tables.current().resolve("u@a.example").rule()).isEqualTo("transport:1");
        }
    }

    @Test
    void keepsTheLastGoodTablesWhenTheDirectoryDisappears() throws Exception {
        Path moved = dir.resolveSibling(dir.getFileName() + "-moved");
        policy().write("transport", "a.example 10.0.0.1");
        try (ReloadingPolicyTables tables = ReloadingPolicyTables.open(dir, PolicyDirectory.ME)) {
            Files.move(dir, moved);
            try {
                assertThat(tables.refreshIfChanged()).isFalse();
                assertThat(tables.lastReloadFailure()).hasValueSatisfying(failure -> assertThat(failure).contains("vanished"));
                assertThat(hopFor(tables.current(), "u@a.example")).isEqualTo("10.0.0.1");
            } finally {
                Files.move(moved, dir);
            }
        }
    }

    @Test
    void seesAnEditThatKeepsSizeAndTimestampWhileTheTimestampIsRecent() throws Exception {
        policy().write("transport", "a.example 10.0.0.1");
        FileTime written = Files.getLastModifiedTime(dir.resolve("transport"));
        try (ReloadingPolicyTables tables = open()) {
            // same length, same timestamp: what a coarse-grained filesystem shows for a quick second edit
            policy().write("transport", "a.example 10.0.0.2");
            Files.setLastModifiedTime(dir.resolve("transport"), written);

            tables.refreshIfChanged();
            assertThat(hopFor(tables.current(), "u@a.example")).isEqualTo("10.0.0.2");
        }
    }

    @Test
    void pollingPicksUpAnEditWithinSeconds() throws Exception {
        policy().write("transport", "a.example 10.0.0.1");
        try (ReloadingPolicyTables tables = open().pollEvery(Duration.ofMillis(100))) {
            policy().write("transport", "a.example 10.0.0.2");

            await().atMost(Duration.ofSeconds(5)).until(() -> hopFor(tables.current(), "u@a.example").equals("10.0.0.2"));
        }
    }

    @Test
    void readersNeverSeeAHalfUpdatedTable() throws Exception {
        int rules = 2000;
        writeGeneration(rules, 0);
        AtomicBoolean done = new AtomicBoolean();
        Set<String> violations = ConcurrentHashMap.newKeySet();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (ReloadingPolicyTables tables = open().pollEvery(Duration.ofMillis(5))) {
            Runnable reader = () -> {
                while (!done.get()) {
                    PolicyTables snapshot = tables.current();
                    List<TransportRule> all = snapshot.transport().rules();
                    Set<String> hops = all.stream().map(rule -> rule.nextHop().spec()).collect(Collectors.toSet());
                    if (all.size() != rules || hops.size() != 1) {
                        violations.add(all.size() + " rules, hops " + hops);
                    }
                    seen.addAll(hops);
                }
            };
            Thread first = new Thread(reader);
            Thread second = new Thread(reader);
            first.start();
            second.start();
            for (int generation = 1; generation <= 30; generation++) {
                writeGeneration(rules, generation);
                Thread.sleep(10);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> hopFor(tables.current(), "u@d0.example").equals("10.0.30.1:25"));
            done.set(true);
            first.join();
            second.join();
        }
        assertThat(violations).isEmpty();
        assertThat(seen.size()).as("generations seen by readers").isGreaterThan(1);
    }

    /** A transport table whose rules all name this generation, replaced by a rename as operators should. */
    private void writeGeneration(int rules, int generation) throws Exception {
        StringBuilder transport = new StringBuilder();
        for (int i = 0; i < rules; i++) {
            transport.append("d").append(i).append(".example 10.0.").append(generation).append(".1:25\n");
        }
        Path temporary = dir.resolve(".transport.tmp");
        Files.writeString(temporary, transport);
        Files.move(temporary, dir.resolve("transport"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
