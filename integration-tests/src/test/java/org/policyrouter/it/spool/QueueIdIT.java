package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.ScriptedSmtpServer;
import org.policyrouter.it.SmtpSink;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One queue ID per message, Postfix-style: the 250 names it, every log line about the message
 * starts with it (its copies are ID.1, ID.2 …), and WebAdmin flushes and deletes by it. One message
 * to three next hops, one of which defers it twice.
 */
class QueueIdIT {
    static final Pattern QUEUED = Pattern.compile("250 2\\.6\\.0 Message received, queued as ([0-9A-F]{21})");

    @TempDir
    Path tmp;

    static String queueId(String reply) {
        assertThat(reply).as("the reply to the end of data").isNotNull();
        Matcher matcher = QUEUED.matcher(reply);
        assertThat(matcher.matches()).as(reply).isTrue();
        return matcher.group(1);
    }

    @Test
    void theQueueIdOfTheReplyStartsEveryLogLineAboutTheMessageAndWebAdminFlushesAndDeletesByIt() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        NextHop down = NextHop.down();
        try (SmtpSink a = SmtpSink.start(); SmtpSink c = SmtpSink.start();
             ScriptedSmtpServer b = ScriptedSmtpServer.answeringRcpt(address -> attempts.incrementAndGet() <= 2 ? "451 4.3.0 try again later" : "250 2.1.5 OK");
             InstalledServer server = InstalledServer.install(tmp.resolve("james"), "a.example " + a.hostAndPort() + "\nb.example " + b.hostAndPort()
                 + "\nc.example " + c.hostAndPort() + "\ngone.example " + down.hostAndPort() + "\n")) {
            server.start();
            WebAdmin webAdmin = server.webAdmin();

            String id = queueId(server.send(List.of("one@a.example", "two@b.example", "three@c.example"),
                "From: sender@client.example\r\nSubject: three next hops\r\n\r\nbody\r\n"));

            a.awaitMessages(1);
            c.awaitMessages(1);
            JsonNode first = Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> webAdmin.get("/spool/queues/spool/messages/" + id), mails -> mails.size() == 1 && mails.get(0).get("attempts").asInt() == 1);
            assertThat(first.get(0).get("queueId").asText()).isEqualTo(id);
            assertThat(first.get(0).get("state").asText()).isEqualTo("deferred");
            assertThat(first.get(0).get("recipients").toString()).contains("two@b.example").doesNotContain("a.example", "c.example");

            assertThat(webAdmin.patch("/spool/queues/spool/messages/" + id + "?action=flush").get("flushed").asInt()).isEqualTo(1);
            Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> webAdmin.get("/spool/queues/spool/messages/" + id), mails -> mails.size() == 1 && mails.get(0).get("attempts").asInt() == 2);
            webAdmin.patch("/spool/queues/spool/messages/" + id + "?action=flush");
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> b.messages().size() == 1);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> webAdmin.status("GET", "/spool/queues/spool/messages/" + id) == 404);
            assertThat(b.commands().stream().filter(command -> command.startsWith("RCPT"))).hasSize(3);

            String other = queueId(server.send(List.of("nobody@gone.example"), "Subject: never delivered\r\n\r\nbody\r\n"));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> webAdmin.status("GET", "/spool/queues/spool/messages/" + other) == 200);
            assertThat(webAdmin.delete("/spool/queues/spool/messages/" + other).get("deleted").asInt()).isEqualTo(1);
            assertThat(webAdmin.status("GET", "/spool/queues/spool/messages/" + other)).isEqualTo(404);

            // James reports a message it was never given back when a later one is made after a GC
            SpoolLoadBenchmark.jcmd(server.process().pid(), "GC.run");
            Thread.sleep(1000);
            assertThat(server.send(List.of("after-gc@a.example"), "Subject: after a GC\r\n\r\nbody\r\n")).isNotNull();
            a.awaitMessages(2);

            String log = server.log();
            assertThat(log).as("copies and retries given back (disposed)").doesNotContain("Leak detected");
            List<String> aboutTheMessage = log.lines()
                .filter(line -> line.contains("one@a.example") || line.contains("two@b.example") || line.contains("three@c.example") || line.contains(id))
                .collect(Collectors.toList());
            assertThat(aboutTheMessage).as("log lines about %s", id).hasSizeGreaterThanOrEqualTo(8).allMatch(line -> line.contains(id));
            assertThat(String.join("\n", aboutTheMessage)).contains("Successfully spooled mail " + id, "status=sent", "status=deferred", "deferred, to=<two@b.example>");
            assertThat(log.lines().filter(line -> line.contains(other)).collect(Collectors.joining("\n"))).contains("deleted from spool by an operator");
        } finally {
            down.close();
        }
    }
}
