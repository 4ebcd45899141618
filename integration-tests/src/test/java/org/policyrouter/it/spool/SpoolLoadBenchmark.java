package org.policyrouter.it.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.ScriptedSmtpServer;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The spool under load, the bundled server as its own process, 10 client sessions, 5 KB messages,
 * one per connection. Not part of the test suite (the name does not end in Test or IT): run with
 * {@code mvn -B -o verify -pl integration-tests -am -Dtest=SpoolLoadBenchmark#… -Dsurefire.failIfNoSpecifiedTests=false}.
 * Numbers from one run only compare with each other.
 */
class SpoolLoadBenchmark {
    static final int SESSIONS = 10;
    static final String BODY = "x".repeat(76).concat("\r\n").repeat(64);

    @TempDir
    Path tmp;

    /**
     * End-to-end relay rate (first message sent → last message at its next hop) with 30% of the
     * messages deferred at their first attempt (the next hop answers 451 once per recipient; retried
     * after 1 s), against rounds in which none is deferred; rounds alternate, after a warm-up.
     */
    @Test
    void relayRateWithThirtyPercentDeferredAgainstNoneDeferred() throws Exception {
        int messages = Integer.getInteger("benchmark.messages", 6000);
        int rounds = Integer.getInteger("benchmark.rounds", 3);
        Set<String> refusedOnce = ConcurrentHashMap.newKeySet();
        try (ScriptedSmtpServer ok = ScriptedSmtpServer.recording();
             ScriptedSmtpServer flaky = ScriptedSmtpServer.answeringRcpt(address -> refusedOnce.add(address) ? "451 4.3.0 try again later" : "250 2.1.5 OK");
             InstalledServer server = InstalledServer.install(tmp.resolve("james"), "ok.example " + ok.hostAndPort() + "\nflaky.example " + flaky.hostAndPort() + "\n")) {
            JamesProcess.replaceIn(server.home.resolve("conf/mailetcontainer.xml"), "<minimalBackoff>5m</minimalBackoff>", "<minimalBackoff>1s</minimalBackoff>");
            JamesProcess.replaceIn(server.home.resolve("conf/mailetcontainer.xml"), "<maximalBackoff>67m</maximalBackoff>", "<maximalBackoff>1s</maximalBackoff>");
            server.start();
            AtomicInteger sequence = new AtomicInteger();
            relay(server, messages, n -> n + "@ok.example", () -> ok.messages().size() + flaky.messages().size(), sequence);
            List<double[]> results = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                double none = relay(server, messages, n -> n + "@ok.example", () -> ok.messages().size() + flaky.messages().size(), sequence);
                double deferred = relay(server, messages, n -> (n % 10 < 3 ? n + "@flaky.example" : n + "@ok.example"),
                    () -> ok.messages().size() + flaky.messages().size(), sequence);
                results.add(new double[] {none, deferred});
                System.out.printf(Locale.ROOT, "round %d: none deferred %.0f msg/s, 30%% deferred once %.0f msg/s, ratio %.2f%n", round + 1, none, deferred, deferred / none);
            }
            double none = results.stream().mapToDouble(r -> r[0]).sum();
            double deferred = results.stream().mapToDouble(r -> r[1]).sum();
            System.out.printf(Locale.ROOT, "relay rate, %d messages per round, %d rounds: 30%% deferred / none deferred = %.2f (sum of rates)%n",
                messages, rounds, deferred / none);
        }
    }

    /** Sends {@code messages} messages and returns the end-to-end rate: all of them at their next hop. */
    static double relay(InstalledServer server, int messages, IntFunction<String> recipient, java.util.function.IntSupplier delivered,
                        AtomicInteger sequence) throws Exception {
        int target = delivered.getAsInt() + messages;
        int first = sequence.getAndAdd(messages);
        AtomicInteger next = new AtomicInteger(first);
        long start = System.nanoTime();
        ExecutorService clients = Executors.newFixedThreadPool(SESSIONS);
        for (int i = 0; i < SESSIONS; i++) {
            clients.submit(() -> {
                for (int n = next.getAndIncrement(); n < first + messages; n = next.getAndIncrement()) {
                    String to = recipient.apply(n);
                    if (server.send(List.of(to), "From: sender@client.example\r\nSubject: load " + n + "\r\n\r\n" + BODY) == null) {
                        throw new IllegalStateException("not accepted: " + to);
                    }
                }
                return null;
            });
        }
        clients.shutdown();
        clients.awaitTermination(30, TimeUnit.MINUTES);
        Awaitility.await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20)).until(() -> delivered.getAsInt() >= target);
        return messages / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * 100,000 deferred mails (10 domains, next hop down): the server's RSS growth, the time to list
     * the first page (ours and James's route), and the time to flush one domain of 10,000 mails.
     */
    @Test
    void aHundredThousandDeferredMails() throws Exception {
        int messages = Integer.getInteger("benchmark.messages", 100_000);
        NextHop down = NextHop.down();
        StringBuilder transport = new StringBuilder();
        for (int d = 0; d < 10; d++) {
            transport.append("d").append(d).append(".example ").append(down.hostAndPort()).append('\n');
        }
        try (InstalledServer server = InstalledServer.install(tmp.resolve("james"), transport.toString())) {
            long pid = server.start().pid();
            WebAdmin webAdmin = server.webAdmin();
            long heapBefore = heapUsedAfterFullGcKilobytes(pid);
            long rssBefore = rssKilobytes(pid);
            long start = System.nanoTime();
            relayOnly(server, messages, n -> n + "@d" + (n % 10) + ".example");
            double accepted = messages / ((System.nanoTime() - start) / 1e9);
            Awaitility.await().atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofSeconds(1))
                .until(() -> webAdmin.get("/mailQueues/spool").get("size").asLong() >= messages
                    && webAdmin.get("/spool/queues/spool/messages?state=due&limit=1").size() == 0
                    && webAdmin.get("/spool/queues/spool/messages?state=active&limit=1").size() == 0);
            double deferredRate = messages / ((System.nanoTime() - start) / 1e9);
            long heapAfter = heapUsedAfterFullGcKilobytes(pid);
            long rssAfter = rssKilobytes(pid);

            long listStart = System.nanoTime();
            JsonNode page = webAdmin.get("/spool/queues/spool/messages?limit=100");
            double listSeconds = (System.nanoTime() - listStart) / 1e9;
            long jamesStart = System.nanoTime();
            JsonNode jamesPage = webAdmin.get("/mailQueues/spool/mails?delayed=true&limit=100");
            double jamesSeconds = (System.nanoTime() - jamesStart) / 1e9;
            long flushStart = System.nanoTime();
            long flushed = webAdmin.patch("/spool/queues/spool/messages?action=flush&domain=d3.example").get("flushed").asLong();
            double flushSeconds = (System.nanoTime() - flushStart) / 1e9;
            // flushed mails are due at once; all tried again once none of them is due or being delivered
            Awaitility.await().atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> webAdmin.get("/spool/queues/spool/messages?domain=d3.example&state=due&limit=1").size() == 0
                    && webAdmin.get("/spool/queues/spool/messages?domain=d3.example&state=active&limit=1").size() == 0);
            double retrySeconds = (System.nanoTime() - flushStart) / 1e9;

            System.out.printf(Locale.ROOT, "%d messages accepted at %.0f msg/s, all deferred after %.0f s (%.0f deferrals/s)%n",
                messages, accepted, messages / deferredRate, deferredRate);
            System.out.printf(Locale.ROOT, "server RSS after a full GC: %d MB before, %d MB with %d deferred mails: +%d MB; "
                    + "heap in use after a full GC: %d MB before, %d MB after: +%d MB (%d bytes a mail)%n",
                rssBefore / 1024, rssAfter / 1024, messages, (rssAfter - rssBefore) / 1024,
                heapBefore / 1024, heapAfter / 1024, (heapAfter - heapBefore) / 1024, (heapAfter - heapBefore) * 1024 / messages);
            System.out.printf(Locale.ROOT, "first page (100 mails): /spool/queues %.3f s (%d listed), /mailQueues?delayed=true %.3f s (%d listed)%n",
                listSeconds, page.size(), jamesSeconds, jamesPage.size());
            System.out.printf(Locale.ROOT, "flush of one domain: %d mails, answered in %.3f s, all tried again and deferred again %.1f s after the flush%n",
                flushed, flushSeconds, retrySeconds);
            System.out.printf(Locale.ROOT, "spool on disk: %s%n", du(server.home.resolve("var/spool")));
        } finally {
            down.close();
        }
    }

    static void relayOnly(InstalledServer server, int messages, IntFunction<String> recipient) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(SESSIONS);
        for (int i = 0; i < SESSIONS; i++) {
            clients.submit(() -> {
                for (int n = next.getAndIncrement(); n < messages; n = next.getAndIncrement()) {
                    if (server.send(List.of(recipient.apply(n)), "From: sender@client.example\r\nSubject: load " + n + "\r\n\r\n" + BODY) == null) {
                        throw new IllegalStateException("not accepted: " + n);
                    }
                }
                return null;
            });
        }
        clients.shutdown();
        clients.awaitTermination(60, TimeUnit.MINUTES);
    }

    /** Runs a full GC in the server (jcmd), then reads how much of the heap is in use. */
    static long heapUsedAfterFullGcKilobytes(long pid) throws Exception {
        jcmd(pid, "GC.run");
        Thread.sleep(1000);
        java.util.regex.Matcher used = java.util.regex.Pattern.compile("total \\d+K, used (\\d+)K").matcher(jcmd(pid, "GC.heap_info"));
        if (!used.find()) {
            throw new IllegalStateException("no heap use from jcmd");
        }
        return Long.parseLong(used.group(1));
    }

    static String jcmd(long pid, String command) throws Exception {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), String.valueOf(pid), command)
            .redirectErrorStream(true).start();
        String out = new String(jcmd.getInputStream().readAllBytes());
        jcmd.waitFor();
        return out;
    }

    static long rssKilobytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    static String du(Path directory) throws Exception {
        Process du = new ProcessBuilder("du", "-sh", directory.resolve("incoming").toString(), directory.resolve("deferred").toString(),
            directory.resolve("bodies").toString()).redirectErrorStream(true).start();
        String out = new String(du.getInputStream().readAllBytes()).trim();
        du.waitFor();
        return out;
    }
}
