package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.ScriptedSmtpServer;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The bundled server as its own process, killed with SIGKILL (no shutdown hook, like a crash or a
 * power cut) and started again from the same folder: every message that got a 250 reaches every
 * one of its recipients afterwards, also while a third of them are being deferred; deferred mails
 * keep their attempts, next attempts and queue IDs; damaged spool files are moved to corrupt/
 * without stopping the rest.
 */
class SpoolCrashIT {
    static final int MESSAGES = 600;
    static final int SESSIONS = 10;
    static final Pattern SUBJECT = Pattern.compile("(?m)^Subject: (crash-\\d+)\r?$");

    @TempDir
    Path tmp;

    /** Retries after a second or two instead of minutes. */
    static void retryQuickly(InstalledServer server) throws IOException {
        JamesProcess.replaceIn(server.home.resolve("conf/mailetcontainer.xml"), "<minimalBackoff>5m</minimalBackoff>", "<minimalBackoff>1s</minimalBackoff>");
        JamesProcess.replaceIn(server.home.resolve("conf/mailetcontainer.xml"), "<maximalBackoff>67m</maximalBackoff>", "<maximalBackoff>2s</maximalBackoff>");
    }

    @Test
    void everyRecipientOfEveryMessageThatGotA250GetsItAfterASigkillDuringALoadWithDeferrals() throws Exception {
        // each message goes to three next hops; the third defers every recipient's first attempt
        Set<String> refusedOnce = ConcurrentHashMap.newKeySet();
        try (ScriptedSmtpServer a = ScriptedSmtpServer.recording(); ScriptedSmtpServer b = ScriptedSmtpServer.recording();
             ScriptedSmtpServer flaky = ScriptedSmtpServer.answeringRcpt(address -> refusedOnce.add(address) ? "451 4.3.0 try again later" : "250 2.1.5 OK");
             InstalledServer server = InstalledServer.install(tmp.resolve("james"), "a.example " + a.hostAndPort() + "\nb.example " + b.hostAndPort()
                 + "\nflaky.example " + flaky.hostAndPort() + "\n")) {
            retryQuickly(server);
            server.start();
            Set<String> accepted = ConcurrentHashMap.newKeySet();
            AtomicInteger next = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(SESSIONS);
            for (int i = 0; i < SESSIONS; i++) {
                clients.submit(() -> {
                    for (int n = next.getAndIncrement(); n < MESSAGES; n = next.getAndIncrement()) {
                        String subject = "crash-" + n;
                        if (server.send(List.of(n + "@a.example", n + "@b.example", n + "@flaky.example"),
                            "From: sender@client.example\r\nSubject: " + subject + "\r\n\r\n" + "x".repeat(70).concat("\r\n").repeat(70)) != null) {
                            accepted.add(subject);
                        }
                    }
                });
            }
            Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10)).until(() -> accepted.size() >= MESSAGES / 3);
            server.process().kill();
            int deferredBeforeCrash = refusedOnce.size();
            clients.shutdown();
            assertThat(clients.awaitTermination(5, TimeUnit.MINUTES)).isTrue();

            server.start();

            Awaitility.await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(() ->
                subjects(a).keySet().containsAll(accepted) && subjects(b).keySet().containsAll(accepted) && subjects(flaky).keySet().containsAll(accepted));
            long duplicates = duplicates(subjects(a)) + duplicates(subjects(b)) + duplicates(subjects(flaky));
            System.out.printf("crash test: %d of %d messages (3 recipients each) got a 250 before SIGKILL; %d recipients had been deferred "
                    + "before it; after restart every recipient of all %d got it; %d duplicate deliveries%n",
                accepted.size(), MESSAGES, deferredBeforeCrash, accepted.size(), duplicates);
            assertThat(deferredBeforeCrash).as("recipients deferred before the crash").isGreaterThan(0);
            assertThat(subjects(flaky).keySet()).containsAll(accepted);
        }
    }

    /** Deliveries per subject seen by a next hop. */
    static Map<String, Integer> subjects(ScriptedSmtpServer server) {
        Map<String, Integer> counts = new HashMap<>();
        for (byte[] message : server.messages()) {
            Matcher subject = SUBJECT.matcher(new String(message, StandardCharsets.ISO_8859_1));
            if (subject.find()) {
                counts.merge(subject.group(1), 1, Integer::sum);
            }
        }
        return counts;
    }

    static long duplicates(Map<String, Integer> counts) {
        return counts.values().stream().mapToInt(count -> count - 1).sum();
    }

    @Test
    void deferredMailsKeepTheirAttemptsNextAttemptsAndQueueIdsAcrossACrashAndDamagedFilesAreMovedAside() throws Exception {
        NextHop down = NextHop.down();
        try (InstalledServer server = InstalledServer.install(tmp.resolve("james"), "down.example " + down.hostAndPort() + "\n")) {
            server.start();
            WebAdmin webAdmin = server.webAdmin();
            assertThat(server.send("first@down.example", "kept across a crash")).isTrue();
            assertThat(server.send("second@down.example", "damaged on disk")).isTrue();
            JsonNode before = Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> webAdmin.get("/spool/queues/spool/messages?state=deferred"), mails -> mails.size() == 2);
            JsonNode kept = find(before, "first@down.example");

            server.process().kill();
            String damaged = truncateDeferredFileOf(server, find(before, "second@down.example").get("record").asText());
            Files.write(server.home.resolve("var/spool/bodies/1A0000000000000000000"), "PRSPOOL1 garbage".getBytes(StandardCharsets.US_ASCII));
            Files.write(server.home.resolve("var/spool/incoming/segment-00000000000000ff"),
                ("PRJS 00000000000000aa n\nPRJ3 00000000000000aa 1A0000000000000000001 M 0000000000000040\nPRSPOOL1 overwritten by a disk fault"
                    + "\0".repeat(4096)).getBytes(StandardCharsets.US_ASCII));
            server.start();

            JsonNode after = webAdmin.get("/spool/queues/spool/messages");
            assertThat(after).hasSize(1);
            JsonNode restored = find(after, "first@down.example");
            for (String field : List.of("queueId", "name", "attempts", "nextAttempt", "arrival", "lastError")) {
                assertThat(restored.get(field)).as(field).isEqualTo(kept.get(field));
            }
            try (Stream<Path> corrupt = Files.list(server.home.resolve("var/spool/corrupt"))) {
                assertThat(corrupt.map(path -> path.getFileName().toString()))
                    .anyMatch(name -> name.startsWith("deferred-" + damaged + "-"))
                    .anyMatch(name -> name.startsWith("bodies-1A0000000000000000000-"))
                    .anyMatch(name -> name.startsWith("journal-segment-00000000000000ff-87-1A0000000000000000001-"));
            }
            assertThat(server.process().output()).contains("is corrupt", "moved to", "1A0000000000000000001: corrupt journal record");

            // the rest keeps flowing: the surviving mail is delivered once its next hop is back
            down.up();
            assertThat(webAdmin.patch("/spool/queues/spool/messages/" + kept.get("queueId").asText() + "?action=flush").get("flushed").asInt()).isEqualTo(1);
            assertThat(down.awaitMessages(1, Duration.ofSeconds(60)).get(0).getSubject()).isEqualTo("kept across a crash");
        } finally {
            down.close();
        }
    }

    static JsonNode find(JsonNode mails, String recipient) {
        for (JsonNode mail : mails) {
            if (mail.get("recipients").toString().contains(recipient)) {
                return mail;
            }
        }
        throw new AssertionError(recipient + " not in " + mails);
    }

    /** Cuts a deferred mail's envelope file in half, as a disk fault would; returns its name. */
    static String truncateDeferredFileOf(InstalledServer server, String record) throws IOException {
        Path file = server.home.resolve("var/spool/deferred").resolve(record);
        assertThat(file).exists();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        return record;
    }
}
