package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolRunnerTest {
    static final String URL = "spool://var/spool/deferred";

    @TempDir
    Path workingDirectory;
    final List<Mail> reinjected = new CopyOnWriteArrayList<>();
    SpoolRunner runner;

    @AfterEach
    void stop() {
        if (runner != null) {
            runner.stop();
        }
    }

    SpoolMailRepository open() throws Exception {
        return SpoolMailRepositoryContractTest.open(workingDirectory, URL);
    }

    void start(SpoolMailRepository deferred) {
        runner = new SpoolRunner(deferred, reinjected::add, Clock.systemUTC(), new RecordingMetricFactory().generate("retried"));
        runner.start();
    }

    static Mail deferredMail(String name, long nextAttempt, int retries) throws Exception {
        return MailImpl.builder().name(name).sender("sender@client.example").addRecipient("user@down.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("hello").setText("body"))
            .addAttribute(new Attribute(SpoolAttributes.QUEUE_ID, AttributeValue.of("QID-" + name)))
            .addAttribute(new Attribute(SpoolAttributes.NEXT_ATTEMPT, AttributeValue.of(nextAttempt)))
            .addAttribute(new Attribute(SpoolAttributes.RETRIES, AttributeValue.of(retries)))
            .build();
    }

    @Test
    void handsADueMailBackToRoutingAndRemovesItFromDeferred() throws Exception {
        SpoolMailRepository deferred = open();
        start(deferred);

        deferred.store(deferredMail("due", System.currentTimeMillis() - 1, 2));

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reinjected.size() == 1 && deferred.size() == 0);
        Mail retried = reinjected.get(0);
        assertThat(retried.getName()).startsWith("QID-due.retry2.").doesNotContain("!");
        assertThat(retried.getRecipients()).extracting(Object::toString).containsExactly("user@down.example");
        assertThat(SpoolAttributes.retries(retried)).isEqualTo(2);
    }

    @Test
    void wakesUpWhenTheEarliestMailBecomesDue() throws Exception {
        SpoolMailRepository deferred = open();
        start(deferred);

        deferred.store(deferredMail("soon", System.currentTimeMillis() + 1500, 1));
        deferred.store(deferredMail("later", System.currentTimeMillis() + 3_600_000, 1));

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reinjected.size() == 1);
        assertThat(deferred.list()).toIterable().containsExactly(new MailKey("later"));
    }

    @Test
    void aFlushMakesAMailDueNow() throws Exception {
        SpoolMailRepository deferred = open();
        start(deferred);
        deferred.store(deferredMail("later", System.currentTimeMillis() + 3_600_000, 1));

        deferred.reschedule(new MailKey("later"), System.currentTimeMillis());

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reinjected.size() == 1);
    }

    @Test
    void aRestartKeepsRetryCountsAndNextAttempts() throws Exception {
        long nextAttempt = System.currentTimeMillis() + 3_600_000;
        open().store(deferredMail("m1", nextAttempt, 4));

        SpoolMailRepository reopened = open();

        StoredMail stored = reopened.entry(new MailKey("m1")).orElseThrow();
        assertThat(stored.retries()).isEqualTo(4);
        assertThat(stored.nextAttempt()).contains(nextAttempt);
        assertThat(reopened.earliestNextAttempt()).contains(nextAttempt);
    }

    @Test
    void aCorruptDeferredFileIsMovedAsideAndTheOthersStillFlow() throws Exception {
        SpoolMailRepository deferred = open();
        deferred.store(deferredMail("broken", System.currentTimeMillis() - 1, 1));
        deferred.store(deferredMail("fine", System.currentTimeMillis() - 1, 1));
        Path broken = workingDirectory.resolve("var/spool/deferred/broken");
        try (RandomAccessFile file = new RandomAccessFile(broken.toFile(), "rw")) {
            file.setLength(file.length() / 2);
        }

        SpoolMailRepository reopened = open();
        start(reopened);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reinjected.size() == 1);
        assertThat(reinjected.get(0).getName()).startsWith("QID-fine");
        try (var corrupt = Files.list(workingDirectory.resolve("var/spool/corrupt"))) {
            assertThat(corrupt.map(p -> p.getFileName().toString())).singleElement().asString().startsWith("deferred-broken-");
        }
    }
}
