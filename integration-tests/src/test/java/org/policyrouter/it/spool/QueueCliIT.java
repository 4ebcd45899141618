package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.spool.cli.QueueCli;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Issue 16: {@code bin/policy-router}'s queue commands against a running server (its WebAdmin),
 * three mails deferred by next hops that are down: mailq, show, hold, release, flush, delete,
 * and the audit line each change leaves. The commands run in this JVM (their {@code run}), and
 * once through the distribution's script, as an operator types it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QueueCliIT {
    static final NextHop DOWN = NextHopOrFail.down();
    static final NextHop GONE = NextHopOrFail.down();
    static final ListAppender<ILoggingEvent> AUDIT = new ListAppender<>();
    static final List<String> IDS = new ArrayList<>();

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "down.example " + DOWN.hostAndPort() + "\ngone.example " + GONE.hostAndPort() + "\n")
        .build();

    static String webAdmin;
    /** The server's folder: the CLI signs its tokens with var/webadmin/jwt-private.pem there. */
    static Path home;

    @BeforeAll
    static void threeDeferredMails(GuiceJamesServer server) throws Exception {
        AUDIT.start();
        Logger audit = (Logger) LoggerFactory.getLogger("org.policyrouter.audit");
        audit.setLevel(ch.qos.logback.classic.Level.INFO);
        audit.addAppender(AUDIT);
        webAdmin = "http://127.0.0.1:" + PolicyRouterJames.webAdminPort(server);
        home = PolicyRouterJames.home(server);
        IDS.add(DeferredQueueIT.send(server, List.of("one@down.example"), "first"));
        IDS.add(DeferredQueueIT.send(server, List.of("two@down.example"), "second"));
        IDS.add(DeferredQueueIT.send(server, List.of("three@gone.example"), "third"));
        awaitDeferred(3);
    }

    static void awaitDeferred(int count) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> cli("mailq", "--json").output.split("\"state\":\"deferred\"", -1).length - 1 == count);
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("org.policyrouter.audit")).detachAppender(AUDIT);
        DOWN.close();
        GONE.close();
    }

    static final class Run {
        final int status;
        final String output;
        final String errors;

        Run(int status, String output, String errors) {
            this.status = status;
            this.output = output;
            this.errors = errors;
        }
    }

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--webadmin");
        all.add(webAdmin);
        int status = QueueCli.run(all, home, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static List<String> audit() {
        List<String> lines = new ArrayList<>();
        AUDIT.list.forEach(event -> lines.add(event.getFormattedMessage()));
        return lines;
    }

    @Test
    @Order(1)
    void mailqListsEachMailWithItsStateErrorAndRecipientsAndTheTotalsByDomain() {
        Run mailq = cli("mailq");

        assertThat(mailq.status).isZero();
        assertThat(mailq.output).startsWith("-Queue ID-").contains(IDS.get(0), IDS.get(1), IDS.get(2))
            .contains("one@down.example", "two@down.example", "three@gone.example")
            .contains("deferred").contains("Connection refused")
            .contains("-- 3 mails, 3 recipients\nby domain: down.example 2 gone.example 1\n");
        assertThat(cli("mailq", "--domain", "gone.example").output).contains(IDS.get(2)).doesNotContain(IDS.get(0));
    }

    @Test
    @Order(2)
    void showGivesEveryFieldOfOneMessageAndTheMessage() {
        Run show = cli("show", IDS.get(2));

        assertThat(show.status).isZero();
        assertThat(show.output).contains("queueId: " + IDS.get(2), "state: deferred", "recipients: [\"three@gone.example\"]", "attempts: 1")
            .containsPattern("lastError: .*Connection refused")
            // then the message as stored, like postcat
            .contains("Subject: third\r\n").endsWith("\r\n\r\nbody\r\n");
    }

    @Test
    @Order(3)
    void holdAndReleaseAreLoggedWithTheClientAndTheMail() {
        assertThat(cli("hold", IDS.get(0)).output).isEqualTo("held: 1\n");
        assertThat(cli("show", IDS.get(0)).output).contains("state: held");

        assertThat(cli("release", IDS.get(0)).output).isEqualTo("released: 1\n");

        assertThat(cli("show", IDS.get(0)).output).contains("state: deferred");
        assertThat(audit()).anyMatch(line -> line.startsWith("WebAdmin client 127.0.0.1: PATCH hold " + IDS.get(0) + " in queue spool: {held=1}"))
            .anyMatch(line -> line.startsWith("WebAdmin client 127.0.0.1: PATCH release " + IDS.get(0) + " in queue spool: {released=1}"));
    }

    @Test
    @Order(4)
    void flushByDomainTriesTheDomainsMailAgain() {
        assertThat(cli("flush", "--domain", "gone.example").output).isEqualTo("flushed: 1\n");

        assertThat(audit()).anyMatch(line -> line.startsWith("WebAdmin client 127.0.0.1: PATCH flush domain gone.example in queue spool: {flushed=1}"));
    }

    @Test
    @Order(5)
    void requeueAfterAPolicyChangeTriesEveryMailAgain() {
        // the flush before has been tried and deferred again
        awaitDeferred(3);
        assertThat(cli("requeue").output).isEqualTo("requeued: 3 (each routed by the current policy tables as it is tried)\n");

        assertThat(audit()).anyMatch(line -> line.startsWith("WebAdmin client 127.0.0.1: PATCH flush all in queue spool: {flushed=3}"));
    }

    @Test
    @Order(6)
    void deleteRemovesByQueueIdOrByDomain() {
        awaitDeferred(3);
        assertThat(cli("delete", IDS.get(0)).output).isEqualTo("deleted: 1\n");
        assertThat(cli("delete", "--domain", "gone.example").output).isEqualTo("deleted: 1\n");

        Run mailq = cli("mailq");
        assertThat(mailq.output).contains(IDS.get(1)).doesNotContain(IDS.get(0)).doesNotContain(IDS.get(2)).contains("-- 1 mail, 1 recipient\n");
        assertThat(audit()).anyMatch(line -> line.startsWith("WebAdmin client 127.0.0.1: DELETE delete " + IDS.get(0)))
            .anyMatch(line -> line.startsWith("WebAdmin client 127.0.0.1: DELETE delete domain gone.example"));
    }

    @Test
    @Order(7)
    void anUnknownIdOrAStoppedServerIsAClearErrorAndStatusOne() {
        Run unknown = cli("show", "NOSUCHID");
        assertThat(unknown.status).isEqualTo(1);
        assertThat(unknown.errors).contains("404 no mail with queue ID NOSUCHID in spool");

        Run usage = cli("hold");
        assertThat(usage.status).isEqualTo(2);
        assertThat(usage.errors).contains("hold needs a queue ID or --domain D");
    }

    @Test
    @Order(8)
    void theDistributionsScriptRunsTheSameCommand() throws Exception {
        // the distribution's script, for the server the test runs from another folder: its key named
        ProcessBuilder builder = new ProcessBuilder(PolicyRouterJames.distribution().resolve("bin/policy-router").toString(), "mailq", "--webadmin", webAdmin)
            .redirectErrorStream(true);
        builder.environment().put("POLICY_ROUTER_WEBADMIN_KEY", home.resolve("var/webadmin/jwt-private.pem").toString());
        Process script = builder.start();
        String output = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(script.waitFor()).as(output).isZero();
        assertThat(output).contains(IDS.get(1), "two@down.example", "-- 1 mail, 1 recipient");
    }
}
