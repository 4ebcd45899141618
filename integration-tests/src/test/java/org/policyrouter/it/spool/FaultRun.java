package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.ScriptedSmtpServer;
import org.policyrouter.it.SmtpConversation;

/**
 * The fault run: 10 client sessions of mixed mail (1 KB – 50 MB, 1 – 200 recipients) for
 * {@code -Dfault.minutes} (10) against the bundled server on a small tmpfs (as root), whose next
 * hops accept, defer once (451), refuse (550) or hang; meanwhile the disk fills and frees twice and
 * the server is SIGKILLed twice. At the end every recipient of every 250-acknowledged message has
 * been delivered or reported in a non-delivery report for a remote reason; duplicates are counted.
 * Not part of the test suite (its name does not end in Test or IT):
 * {@code mvn -B -o verify -pl integration-tests -am -Dtest=FaultRun -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class FaultRun {
    static final int SESSIONS = 10;
    static final Pattern FINAL_RECIPIENT = Pattern.compile("(?m)^Final-Recipient: rfc822; ?(\\S+)");

    @TempDir
    Path tmp;

    @Test
    void everyAcknowledgedRecipientIsDeliveredOrBouncedForARemoteReasonThroughDiskFullAndCrashes() throws Exception {
        assumeTrue(DiskFullIT.isRoot(), "mounting a tmpfs needs root");
        Duration length = Duration.ofMinutes(Long.getLong("fault.minutes", 10));
        Set<String> deferredOnce = ConcurrentHashMap.newKeySet();
        Path spool = null;
        try (ScriptedSmtpServer ok = ScriptedSmtpServer.recording().withoutBodies();
             ScriptedSmtpServer flaky = ScriptedSmtpServer.answeringRcpt(address -> deferredOnce.add(address) ? "451 4.3.0 try again later" : "250 2.1.5 OK")
                 .withoutBodies();
             ScriptedSmtpServer refusing = ScriptedSmtpServer.answeringRcpt(address -> "550 5.1.1 <" + address + ">: no such user here");
             ScriptedSmtpServer hanging = ScriptedSmtpServer.silent();
             EnvelopeRecordingSink senderDomain = EnvelopeRecordingSink.start();
             InstalledServer server = InstalledServer.install(tmp.resolve("james"), "ok.example " + ok.hostAndPort() + "\nflaky.example "
                 + flaky.hostAndPort() + "\nrefusing.example " + refusing.hostAndPort() + "\nhanging.example " + hanging.hostAndPort()
                 + "\nclient.example " + senderDomain.hostAndPort() + "\n")) {
            spool = server.home.resolve("var/spool");
            Files.createDirectories(spool);
            // 8 GB: the archive keeps every failed message whole (up to 50 MB each); with 4 GB the
            // archive and the backlog filled the spool for good after the run, and the drain stalled
            DiskFullIT.run("mount", "-t", "tmpfs", "-o", "size=8g,mode=0700", "tmpfs", spool.toString());
            Path conf = server.home.resolve("conf");
            JamesProcess.replaceIn(conf.resolve("smtpserver.xml"), "<maxmessagesize>10240</maxmessagesize>", "<maxmessagesize>60000</maxmessagesize>");
            SpoolCrashIT.retryQuickly(server);
            // the hanging next hop times out in seconds, and its mail expires within the run
            JamesProcess.replaceIn(conf.resolve("mailetcontainer.xml"), "<queueLifetime>5d</queueLifetime>", "<queueLifetime>2m</queueLifetime>");
            JamesProcess.replaceIn(conf.resolve("mailetcontainer.xml"), "<commandTimeout>300s</commandTimeout>", "<commandTimeout>5s</commandTimeout>");
            server.start();

            Map<String, List<String>> acknowledged = new ConcurrentHashMap<>();
            Map<String, String> queueIds = new ConcurrentHashMap<>();
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger sequence = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(SESSIONS);
            for (int s = 0; s < SESSIONS; s++) {
                long seed = s;
                clients.submit(() -> {
                    Random random = new Random(seed);
                    while (running.get()) {
                        int n = sequence.getAndIncrement();
                        List<String> recipients = recipients(random, n);
                        long size = sizeOf(random);
                        String reply = send(server.smtpPort, "fault-" + n, recipients, size);
                        if (reply == null) {
                            failed.incrementAndGet();
                        } else if (reply.startsWith("250")) {
                            acknowledged.put("fault-" + n, recipients);
                            queueIds.put("fault-" + n, reply);
                        } else {
                            refused.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
            Instant start = Instant.now();
            long step = length.toMillis() / 6;
            List<String> events = new ArrayList<>();
            for (int phase = 1; phase <= 5; phase++) {
                Thread.sleep(step);
                if (phase == 1 || phase == 3) {
                    Path filler = DiskFullIT.fill(spool);
                    events.add(String.format(Locale.ROOT, "%ds disk full", Duration.between(start, Instant.now()).toSeconds()));
                    Thread.sleep(step / 2);
                    Files.delete(filler);
                    events.add(String.format(Locale.ROOT, "%ds disk freed", Duration.between(start, Instant.now()).toSeconds()));
                } else if (phase == 2 || phase == 4) {
                    server.process().kill();
                    events.add(String.format(Locale.ROOT, "%ds SIGKILL", Duration.between(start, Instant.now()).toSeconds()));
                    server.start();
                    events.add(String.format(Locale.ROOT, "%ds restarted", Duration.between(start, Instant.now()).toSeconds()));
                }
            }
            Thread.sleep(step);
            running.set(false);
            clients.shutdown();
            clients.awaitTermination(10, TimeUnit.MINUTES);

            // the rest is delivered, deferred once and delivered, or expires (the hanging hop) into a report
            try {
                // the backlog of 10 minutes of load drains in about as long again on 2 cores
                Awaitility.await().atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofSeconds(5))
                    .until(() -> missing(acknowledged, ok, flaky, senderDomain).isEmpty());
            } catch (ConditionTimeoutException e) {
                keepEvidence(server, events, acknowledged, queueIds, missing(acknowledged, ok, flaky, senderDomain));
                throw e;
            }
            Map<String, Integer> delivered = deliveries(ok, flaky);
            long duplicates = delivered.values().stream().mapToInt(count -> count - 1).sum();
            long reported = reported(senderDomain).size();
            long recipients = acknowledged.values().stream().mapToLong(List::size).sum();
            System.out.printf(Locale.ROOT, "fault run, %s: %s%n%d messages acknowledged (%d recipients), %d refused by the server (452/451/552), "
                    + "%d client errors (killed mid-session); every recipient delivered (%d) or reported (%d) for a remote reason; "
                    + "%d duplicate deliveries%n",
                length, String.join(", ", events), acknowledged.size(), recipients, refused.get(), failed.get(), delivered.size(), reported,
                duplicates);
            assertThat(missing(acknowledged, ok, flaky, senderDomain)).isEmpty();
        } finally {
            if (spool != null) {
                new ProcessBuilder("umount", "-l", spool.toString()).start().waitFor();
            }
        }
    }

    /** What a failed run leaves for its reader in target/fault-run: the missing recipients with their queue IDs, the server's logs, the spool's files. */
    static void keepEvidence(InstalledServer server, List<String> events, Map<String, List<String>> acknowledged, Map<String, String> queueIds,
                             List<String> missing) throws IOException {
        Path evidence = Path.of("target", "fault-run");
        Files.createDirectories(evidence);
        Set<String> lost = Set.copyOf(missing);
        StringBuilder report = new StringBuilder(String.join(", ", events)).append('\n')
            .append(missing.size()).append(" recipients neither delivered nor reported\n");
        acknowledged.forEach((subject, recipients) -> recipients.stream().filter(lost::contains)
            .forEach(recipient -> report.append(subject).append(' ').append(recipient).append(' ').append(queueIds.get(subject)).append('\n')));
        Files.writeString(evidence.resolve("missing.txt"), report);
        try (Stream<Path> logs = Files.list(server.home.resolve("var/log"))) {
            for (Path log : (Iterable<Path>) logs::iterator) {
                Files.copy(log, evidence.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (Stream<Path> files = Files.walk(server.home.resolve("var"))) {
            Files.write(evidence.resolve("var-files.txt"), (Iterable<String>) files.map(file -> file + " " + file.toFile().length())::iterator);
        }
        System.out.println("fault run failed: " + missing.size() + " recipients missing, evidence in " + evidence.toAbsolutePath());
    }

    /** 1 – 200 recipients, mostly few, over the four kinds of next hop; each address unique to its message. */
    static List<String> recipients(Random random, int n) {
        int count = random.nextInt(10) == 0 ? 1 + random.nextInt(200) : 1 + random.nextInt(3);
        String[] domains = {"ok.example", "ok.example", "ok.example", "flaky.example", "refusing.example", "hanging.example"};
        List<String> recipients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            recipients.add("m" + n + "r" + i + "@" + domains[random.nextInt(domains.length)]);
        }
        return recipients;
    }

    /** 1 KB – 50 MB: mostly small, a few large. */
    static long sizeOf(Random random) {
        int pick = random.nextInt(100);
        if (pick < 85) {
            return 1024 + random.nextInt(20 * 1024);
        }
        if (pick < 98) {
            return 100 * 1024 + random.nextInt(2 * 1024 * 1024);
        }
        return 10L * 1024 * 1024 + random.nextInt(40 * 1024 * 1024);
    }

    /** The reply to the end of data (or to the first refused command), null when the connection failed. */
    static String send(int port, String subject, List<String> recipients, long size) {
        try (SmtpConversation smtp = SmtpConversation.open(port, Duration.ofMinutes(2))) {
            if (!smtp.readReply().startsWith("220")) {
                return null;
            }
            smtp.command("EHLO client.example");
            String mail = smtp.command("MAIL FROM:<sender@client.example>");
            if (!mail.startsWith("250")) {
                return mail;
            }
            for (String recipient : recipients) {
                String rcpt = smtp.command("RCPT TO:<" + recipient + ">");
                if (!rcpt.startsWith("250")) {
                    return rcpt;
                }
            }
            String data = smtp.command("DATA");
            if (!data.startsWith("354")) {
                return data;
            }
            OutputStream out = new BufferedOutputStream(smtp.output(), 1 << 16);
            out.write(("From: sender@client.example\r\nSubject: " + subject + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] line = ("x".repeat(76) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            for (long written = 0; written < size; written += line.length) {
                out.write(line);
            }
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return smtp.readReply();
        } catch (Exception e) {
            return null;
        }
    }

    /** Each recipient delivered (RCPT accepted, then the message), with its count. */
    static Map<String, Integer> deliveries(ScriptedSmtpServer... hops) {
        Map<String, Integer> delivered = new HashMap<>();
        for (ScriptedSmtpServer hop : hops) {
            hop.transactions().forEach(recipients -> recipients.forEach(recipient -> delivered.merge(recipient, 1, Integer::sum)));
        }
        return delivered;
    }

    static Set<String> reported(EnvelopeRecordingSink senderDomain) {
        Set<String> reported = ConcurrentHashMap.newKeySet();
        for (EnvelopeRecordingSink.Received report : senderDomain.received()) {
            Matcher recipient = FINAL_RECIPIENT.matcher(report.message);
            while (recipient.find()) {
                reported.add(recipient.group(1));
            }
        }
        return reported;
    }

    /** Acknowledged recipients neither delivered nor reported yet. */
    static List<String> missing(Map<String, List<String>> acknowledged, ScriptedSmtpServer ok, ScriptedSmtpServer flaky, EnvelopeRecordingSink senderDomain) {
        Map<String, Integer> delivered = deliveries(ok, flaky);
        Set<String> reported = reported(senderDomain);
        List<String> missing = new ArrayList<>();
        acknowledged.values().forEach(recipients -> recipients.stream()
            .filter(recipient -> !delivered.containsKey(recipient) && !reported.contains(recipient))
            .forEach(missing::add));
        return missing;
    }
}
