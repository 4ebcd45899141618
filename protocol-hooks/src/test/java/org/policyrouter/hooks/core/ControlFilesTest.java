package org.policyrouter.hooks.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import org.apache.james.core.healthcheck.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import reactor.core.publisher.Mono;

class ControlFilesTest {
    @TempDir
    Path config;
    @TempDir
    Path qmailControl;

    private final AtomicLong now = new AtomicLong();

    private ControlFiles files() {
        return new ControlFiles(config, Optional.of(qmailControl), Duration.ofSeconds(1), now::get);
    }

    private static List<String> texts(List<ControlLine> lines) {
        return lines.stream().map(ControlLine::text).collect(Collectors.toList());
    }

    @Test
    void dropsCommentsAndBlankLinesAndTrimsWhiteSpace() throws Exception {
        Files.writeString(config.resolve("badmailfrom"), "# comment\n\n   spammer@bad.example   reason here  \n  # indented comment\n@bulk.example\n");

        assertThat(texts(files().lines("badmailfrom").get())).containsExactly("spammer@bad.example   reason here", "@bulk.example");
    }

    @Test
    void fallsBackToTheQmailControlDirectoryFileByFile() throws Exception {
        Files.writeString(qmailControl.resolve("rcpthosts"), "qmail.example\n");
        Files.writeString(qmailControl.resolve("badmailfrom"), "from-qmail@example\n");
        Files.writeString(config.resolve("badmailfrom"), "from-config@example\n");

        assertThat(texts(files().lines("rcpthosts").get())).containsExactly("qmail.example");
        assertThat(texts(files().lines("badmailfrom").get())).containsExactly("from-config@example");
        assertThat(files().lines("absent").get()).isEmpty();
    }

    @Test
    void includesFilesAndDirectoriesInPlace() throws Exception {
        Files.createDirectories(config.resolve("more.d"));
        Files.writeString(config.resolve("more.d/b"), "b@example\n");
        Files.writeString(config.resolve("more.d/a"), "a@example\n");
        Files.writeString(config.resolve("more.d/.hidden"), "hidden@example\n");
        Files.writeString(qmailControl.resolve("shared"), "shared@example\n");
        Files.writeString(config.resolve("badrcptto"), "first@example\n$include more.d\n$include shared\nlast@example\n");

        assertThat(texts(files().lines("badrcptto").get()))
            .containsExactly("first@example", "a@example", "b@example", "shared@example", "last@example");
    }

    @Test
    void aCircularIncludeLeavesTheFileEmptyAndSaysWhy() throws Exception {
        Files.writeString(config.resolve("a"), "x\n$include b\n");
        Files.writeString(config.resolve("b"), "$include a\n");

        assertThat(files().lines("a").get()).isEmpty();
    }

    @Test
    void picksUpAnEditAfterTheCheckInterval() throws Exception {
        Files.writeString(config.resolve("rcpthosts"), "old.example\n");
        ControlFiles.ControlFile<List<ControlLine>> rcpthosts = files().lines("rcpthosts");
        assertThat(texts(rcpthosts.get())).containsExactly("old.example");

        Files.writeString(config.resolve("rcpthosts"), "new.example\nsecond.example\n");
        assertThat(texts(rcpthosts.get())).as("not checked again yet").containsExactly("old.example");

        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(texts(rcpthosts.get())).containsExactly("new.example", "second.example");
    }

    @Test
    void anIncludedFileChangingCountsAsAnEdit() throws Exception {
        Files.writeString(config.resolve("part"), "one@example\n");
        Files.writeString(config.resolve("badrcptto"), "$include part\n");
        ControlFiles.ControlFile<List<ControlLine>> badrcptto = files().lines("badrcptto");
        assertThat(texts(badrcptto.get())).containsExactly("one@example");

        Files.writeString(config.resolve("part"), "one@example\ntwo@example\n");
        now.addAndGet(Duration.ofSeconds(2).toNanos());

        assertThat(texts(badrcptto.get())).containsExactly("one@example", "two@example");
    }

    @Test
    void anInvalidEditKeepsTheLastGoodValue() throws Exception {
        Files.writeString(config.resolve("badmailfrom"), "good@example\n");
        ControlFiles.ControlFile<AddressList> list = files().parsed("badmailfrom", AddressList::parse);
        assertThat(list.get().firstMatch(EnvelopeAddress.parse("good@example"))).isPresent();

        Files.writeString(config.resolve("badmailfrom"), "good@example\nnot-an-address\n");
        now.addAndGet(Duration.ofSeconds(2).toNanos());

        assertThat(list.get().firstMatch(EnvelopeAddress.parse("good@example"))).isPresent();
    }

    @Test
    void aBrokenEditIsTheFilesLoadErrorUntilFixed() throws Exception {
        Path file = config.resolve("badmailfrom");
        Files.writeString(file, "good@example\n");
        ControlFiles.ControlFile<AddressList> list = files().parsed("badmailfrom", AddressList::parse);
        assertThat(list.loadError()).isEmpty();

        Files.writeString(file, "good@example\nnot-an-address\n");
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(list.loadError()).hasValueSatisfying(error -> assertThat(error).startsWith(file + ":2: "));

        Files.writeString(file, "good@example\nother@example\n");
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(list.loadError()).isEmpty();
    }

    @Test
    void theHealthCheckReportsBrokenFilesOfOpenHandlersOnly() throws Exception {
        WatchedFiles registry = new WatchedFiles();
        ControlFiles files = new ControlFiles(config, Optional.empty(), Duration.ZERO, now::get, registry);
        ControlFilesHealthCheck health = new ControlFilesHealthCheck(registry);
        Path file = config.resolve("badrcptto");
        Files.writeString(file, "@example\n");
        ControlFiles.ControlFile<AddressList> list = files.parsed("badrcptto", AddressList::parse);
        ControlFiles.ControlFile<AddressList> sameFileOtherCheck = files.parsed("badrcptto", AddressList::parse);
        assertThat(Mono.from(health.check()).block().isHealthy()).isTrue();

        Files.writeString(file, "@example\nbroken\n");
        Result degraded = Mono.from(health.check()).block();
        assertThat(degraded.isDegraded()).isTrue();
        assertThat(degraded.getCause()).hasValue("an edit could not be loaded, the SMTP checks use the last good version: "
            + file + ":2: an address or @host needs an @ sign (\"broken\")");
        assertThat(list.get().firstMatch(EnvelopeAddress.parse("a@example"))).as("the last good version").isPresent();

        files.close();
        assertThat(Mono.from(health.check()).block().isHealthy()).as("its handler is gone").isTrue();
        assertThat(sameFileOtherCheck.loadError()).isPresent();
    }

    @Test
    void errorsNameTheFileAndLine() throws Exception {
        Path file = config.resolve("badmailfrom");
        ControlLine line = new ControlLine("not-an-address", file, 7);

        assertThat(new ControlFileException(line, "an address or @host needs an @ sign").getMessage())
            .isEqualTo(file + ":7: an address or @host needs an @ sign (\"not-an-address\")");
    }
}
