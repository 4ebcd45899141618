package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.JamesServerExtension;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.utils.MailRepositoryProbeImpl;
import org.apache.mailet.Mail;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every next-hop kind of the transport policy through the shipped processor chain, with real
 * peers: SMTP servers, real programs behind pipes, another processor; and the outcomes each
 * delivery agent reports (delivered / deferred / undeliverable with the remote text).
 */
class DeliveryAgentsIT {
    static final MailRepositoryUrl DEFERRED = MailRepositoryUrl.from("memory://var/mail/test-deferred/");
    static final MailRepositoryUrl UNDELIVERABLE = MailRepositoryUrl.from("memory://var/mail/test-undeliverable/");
    static final MailRepositoryUrl ROBOTS = MailRepositoryUrl.from("memory://var/mail/robots/");

    static final SmtpSink DOMAIN_SINK = SmtpSink.start();
    static final SmtpSink WILDCARD_SINK = SmtpSink.start();
    static final SmtpSink ADDRESS_SINK = SmtpSink.start();
    static final SmtpSink RR_A = SmtpSink.start();
    static final SmtpSink RR_B = SmtpSink.start();
    static final SmtpSink FAILOVER_SINK = SmtpSink.start();
    static final ScriptedSmtpServer SOFT = unchecked(() -> ScriptedSmtpServer.answeringRcpt(a -> "451 4.3.0 soft failure for " + a));
    static final ScriptedSmtpServer HARD = unchecked(() -> ScriptedSmtpServer.answeringRcpt(a -> "550 5.1.1 no such user " + a));
    static final ScriptedSmtpServer HUNG = unchecked(ScriptedSmtpServer::silent);
    static final Path PROGRAMS = unchecked(DeliveryAgentsIT::writePrograms);
    static final int DOWN_PORT = unchecked(JamesProcess::freePort);

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", String.join("\n",
            "vip@agents.example   " + ADDRESS_SINK.hostAndPort(),
            "agents.example       " + DOMAIN_SINK.hostAndPort(),
            "*.agents.example     " + WILDCARD_SINK.hostAndPort(),
            "pipe.example         |" + PROGRAMS.resolve("robot.sh") + " \"first arg\" second",
            "pipeuser.example     user=daemon:mail |" + PROGRAMS.resolve("robot.sh") + " ${user} ${sender}",
            "fail75.example       |" + PROGRAMS.resolve("fail.sh") + " 75",
            "fail1.example        |" + PROGRAMS.resolve("fail.sh") + " 1",
            "sleep.example        |/bin/sleep 600",
            "forker.example       |" + PROGRAMS.resolve("forker.sh"),
            "queue.example        queue/robots",
            "refused.example      error:5.7.1 we take no mail for refused.example",
            "dropped.example      discard",
            "soft.example         " + SOFT.hostAndPort(),
            "hard.example         " + HARD.hostAndPort(),
            "hung.example         " + HUNG.hostAndPort(),
            "rr.example           " + RR_A.hostAndPort() + "," + RR_B.hostAndPort(),
            "failover.example     127.0.0.1:" + DOWN_PORT + "," + FAILOVER_SINK.hostAndPort(),
            ""))
        .editConf("mailetcontainer.xml", xml -> ConfEdits.processorToRepository(xml, "deferred", DEFERRED.asString()))
        .editConf("mailetcontainer.xml", xml -> ConfEdits.processorToRepository(xml, "undeliverable", UNDELIVERABLE.asString()))
        .editConf("mailetcontainer.xml", xml -> ConfEdits.addProcessor(xml, "<processor state=\"robots\" enableJmx=\"false\">\n"
            + "  <mailet match=\"All\" class=\"ToRepository\"><repositoryPath>" + ROBOTS.asString() + "</repositoryPath></mailet>\n"
            + "</processor>"))
        .editConf("mailetcontainer.xml", xml -> ConfEdits.mailetParameter(xml, "org.policyrouter.mailets.RelayDelivery", "commandTimeout", "3s"))
        .editConf("mailetcontainer.xml", xml -> ConfEdits.mailetParameter(xml, "org.policyrouter.mailets.PipeDelivery", "timeout", "3s"))
        .build();

    @AfterAll
    static void stopPeers() throws IOException {
        for (SmtpSink sink : List.of(DOMAIN_SINK, WILDCARD_SINK, ADDRESS_SINK, RR_A, RR_B, FAILOVER_SINK)) {
            sink.close();
        }
        SOFT.close();
        HARD.close();
        HUNG.close();
    }

    static Path writePrograms() throws IOException {
        Path dir = Files.createTempDirectory("delivery-programs");
        Files.createDirectories(dir.resolve("out"));
        // the programs run as nobody (or their user=), never as the root test JVM
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir.resolve("out"), PosixFilePermissions.fromString("rwxrwxrwx"));
        script(dir.resolve("robot.sh"), "#!/bin/sh\n"
            + "out=" + dir.resolve("out") + "\n"
            + "{ echo \"ARGS=$1|$2|$#\"; echo \"SENDER=$SENDER\"; echo \"RECIPIENT=$RECIPIENT\"; echo \"RECIPIENTS=$RECIPIENTS\";"
            + " echo \"ORIGINAL_RECIPIENT=$ORIGINAL_RECIPIENT\"; echo \"NEXTHOP=$NEXTHOP\"; echo \"HOME=$HOME\";"
            + " echo \"QUEUE_ID=$QUEUE_ID\"; echo \"IDS=$(id -u) $(id -g) $(id -G)\"; } > \"$out/$RECIPIENT.env\"\n"
            + "cat > \"$out/$RECIPIENT.msg\"\n");
        // a grandchild that init adopts, then a wait past the timeout
        script(dir.resolve("forker.sh"), "#!/bin/sh\n"
            + "( sleep 600 & echo $! > \"" + dir.resolve("out") + "/$RECIPIENT.grandchild\" )\n"
            + "sleep 600\n");
        script(dir.resolve("fail.sh"), "#!/bin/sh\necho \"robot failed with status $1\" >&2\nexit \"$1\"\n");
        return dir;
    }

    private static void script(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    static <T> T unchecked(ThrowingSupplier<T> supplier) {
        try {
            return supplier.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the reply to the message, which names its queue id */
    static String send(GuiceJamesServer server, String from, List<String> recipients, String message) throws IOException {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).startsWith("220");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<" + from + ">")).startsWith("250");
            for (String recipient : recipients) {
                assertThat(smtp.command("RCPT TO:<" + recipient + ">")).as(recipient).startsWith("250");
            }
            String reply = smtp.data(message);
            assertThat(reply).startsWith("250");
            return reply;
        }
    }

    static List<Mail> awaitMails(GuiceJamesServer server, MailRepositoryUrl url, String recipient) {
        MailRepositoryProbeImpl probe = server.getProbe(MailRepositoryProbeImpl.class);
        List<Mail> found = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            found.forEach(LifecycleUtil::dispose);
            found.clear();
            for (MailKey key : probe.listMailKeys(url)) {
                Mail mail = probe.getMail(url, key);
                if (mail.getRecipients().stream().anyMatch(r -> r.asString().equals(recipient))) {
                    found.add(mail);
                } else {
                    // a repository hands out a message James tracks for leaks: give it back
                    LifecycleUtil.dispose(mail);
                }
            }
            return !found.isEmpty();
        });
        return found;
    }

    @Test
    void domainWildcardAndAddressRulesReachTheirNextHopsWithOneCopyEach(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("vip@agents.example", "user@agents.example", "user@deep.sub.agents.example"),
            "Subject: three next hops\r\n\r\nbody\r\n");

        assertThat(ADDRESS_SINK.awaitMessages(1)).hasSize(1);
        assertThat(DOMAIN_SINK.awaitMessages(1)).hasSize(1);
        assertThat(WILDCARD_SINK.awaitMessages(1)).hasSize(1);
        Thread.sleep(500);
        assertThat(ADDRESS_SINK.envelopeRecipients()).containsExactly("vip@agents.example");
        assertThat(DOMAIN_SINK.envelopeRecipients()).containsExactly("user@agents.example");
        assertThat(WILDCARD_SINK.envelopeRecipients()).containsExactly("user@deep.sub.agents.example");
    }

    @Test
    void pipeRunsTheProgramWithoutAShellWithTheMessageOnStdinAndTheEnvelopeInItsEnvironment(GuiceJamesServer server) throws Exception {
        String reply = send(server, "robot-sender@client.example", List.of("bot@pipe.example", "bot2@pipe.example"),
            "Subject: for the robot\r\nX-Dollar: $HOME `id`\r\n\r\nline one\r\n.dot line\r\n");
        java.util.regex.Matcher queued = java.util.regex.Pattern.compile("queued as (\\S+)").matcher(reply);
        assertThat(queued.find()).as("queue id in %s", reply).isTrue();

        Path env = PROGRAMS.resolve("out/bot@pipe.example.env");
        Path msg = PROGRAMS.resolve("out/bot@pipe.example.msg");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(msg) && Files.exists(PROGRAMS.resolve("out/bot2@pipe.example.msg")));
        Thread.sleep(300);
        assertThat(Files.readAllLines(env)).containsExactly(
            "ARGS=first arg|second|2",
            "SENDER=robot-sender@client.example",
            "RECIPIENT=bot@pipe.example",
            // one recipient per line
            "RECIPIENTS=bot@pipe.example",
            "bot2@pipe.example",
            "ORIGINAL_RECIPIENT=bot@pipe.example",
            "NEXTHOP=|" + PROGRAMS.resolve("robot.sh") + " \"first arg\" second",
            "HOME=",
            "QUEUE_ID=" + queued.group(1),
            // nobody, the PipeDelivery default: never root
            "IDS=65534 65534 65534");
        String message = Files.readString(msg);
        assertThat(message).contains("Subject: for the robot\n", "X-Dollar: $HOME `id`\n").endsWith("\n\nline one\n.dot line\n");
        assertThat(message).doesNotContain("\r");
    }

    @Test
    void aPipeWithUserRunsAsThatUserAndGroupWithItsPlaceholdersFilledIn(GuiceJamesServer server) throws Exception {
        send(server, "", List.of("list@pipeuser.example"), "Subject: for the list\r\n\r\nx\r\n");

        Path env = PROGRAMS.resolve("out/list@pipeuser.example.env");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(env) && Files.readString(env).contains("IDS="));
        assertThat(Files.readAllLines(env)).contains("ARGS=list|MAILER-DAEMON|2", "IDS=1 8 8");
    }

    @Test
    void pipeExitingWithTempfailIsDeferredAndOtherStatusesAreUndeliverableWithStderr(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("a@fail75.example", "b@fail1.example"), "Subject: fails\r\n\r\nx\r\n");

        Mail deferred = awaitMails(server, DEFERRED, "a@fail75.example").get(0);
        assertThat(deferred.getErrorMessage()).contains("exited with status 75", "robot failed with status 75");
        Mail bounced = awaitMails(server, UNDELIVERABLE, "b@fail1.example").get(0);
        assertThat(bounced.getErrorMessage()).contains("exited with status 1: robot failed with status 1");
        assertThat(bounced.getRecipients()).extracting(Object::toString).containsExactly("b@fail1.example");
    }

    @Test
    void pipeRunningPastTheTimeoutIsKilledAndDeferred(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("x@sleep.example"), "Subject: sleeper\r\n\r\nx\r\n");

        Mail deferred = awaitMails(server, DEFERRED, "x@sleep.example").get(0);
        assertThat(deferred.getErrorMessage()).contains("/bin/sleep: killed after the timeout of 3s");
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("sleep 600"))).isEmpty();
    }

    /**
     * The grandchild of a double fork leaves the program's process tree (init adopts it): the
     * runner before the shared one killed only the descendants it could see, and this one ran on.
     */
    @Test
    void pipeForkingAGrandchildPastTheTimeoutIsDeferredAndTheGrandchildKilled(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("x@forker.example"), "Subject: forker\r\n\r\nx\r\n");

        Mail deferred = awaitMails(server, DEFERRED, "x@forker.example").get(0);
        assertThat(deferred.getErrorMessage()).contains("forker.sh: killed after the timeout of 3s");
        long grandchild = Long.parseLong(Files.readString(PROGRAMS.resolve("out/x@forker.example.grandchild")).strip());
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThat(Processes.isRunning(grandchild)).as("grandchild %d of the pipe program", grandchild).isFalse());
    }

    @Test
    void queueNextHopHandsTheMailToThatProcessor(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("robot@queue.example"), "Subject: to a processor\r\n\r\nx\r\n");

        assertThat(awaitMails(server, ROBOTS, "robot@queue.example")).hasSize(1);
    }

    @Test
    void errorNextHopRefusesWithItsTextAndDiscardDropsTheMail(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("x@refused.example", "y@dropped.example"), "Subject: refused\r\n\r\nx\r\n");

        Mail refused = awaitMails(server, UNDELIVERABLE, "x@refused.example").get(0);
        assertThat(refused.getErrorMessage()).isEqualTo("5.7.1 we take no mail for refused.example");
        assertThat(refused.getRecipients()).extracting(Object::toString).containsExactly("x@refused.example");
    }

    @Test
    void a451FromTheNextHopDefersTheRecipientWithTheRemoteText(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("u@soft.example"), "Subject: soft\r\n\r\nx\r\n");

        Mail deferred = awaitMails(server, DEFERRED, "u@soft.example").get(0);
        assertThat(deferred.getErrorMessage()).contains("451 4.3.0 soft failure for u@soft.example");
        assertThat(deferred.getAttribute(org.apache.mailet.AttributeName.of("org.policyrouter.errorlog"))).isPresent();
    }

    @Test
    void a550FromTheNextHopMakesTheRecipientUndeliverableWithTheRemoteText(GuiceJamesServer server) throws Exception {
        send(server, "sender@client.example", List.of("u@hard.example"), "Subject: hard\r\n\r\nx\r\n");

        Mail bounced = awaitMails(server, UNDELIVERABLE, "u@hard.example").get(0);
        assertThat(bounced.getErrorMessage()).contains("550 5.1.1 no such user u@hard.example");
        assertThat(bounced.getAttribute(org.apache.mailet.AttributeName.of("delivery-error")).map(a -> a.getValue().value().toString()))
            .hasValueSatisfying(text -> assertThat(text).contains("550 5.1.1 no such user u@hard.example"));
    }

    @Test
    void aNextHopThatNeverAnswersIsATemporaryFailureAfterTheTimeout(GuiceJamesServer server) throws Exception {
        long start = System.nanoTime();
        send(server, "sender@client.example", List.of("u@hung.example"), "Subject: hung\r\n\r\nx\r\n");

        Mail deferred = awaitMails(server, DEFERRED, "u@hung.example").get(0);
        assertThat(deferred.getErrorMessage()).contains("Read timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(25));
    }

    @Test
    void relayHostListsAlternateBetweenHostsAcrossMails(GuiceJamesServer server) throws Exception {
        for (int i = 0; i < 4; i++) {
            send(server, "sender@client.example", List.of("user" + i + "@rr.example"), "Subject: rr " + i + "\r\n\r\nx\r\n");
        }

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> RR_A.messages().size() + RR_B.messages().size() == 4);
        assertThat(RR_A.messages()).hasSize(2);
        assertThat(RR_B.messages()).hasSize(2);
    }

    @Test
    void aRelayHostThatDoesNotAnswerFailsOverToTheNextOne(GuiceJamesServer server) throws Exception {
        for (int i = 0; i < 2; i++) {
            send(server, "sender@client.example", List.of("user" + i + "@failover.example"), "Subject: failover\r\n\r\nx\r\n");
        }

        assertThat(FAILOVER_SINK.awaitMessages(2)).hasSize(2);
    }
}
