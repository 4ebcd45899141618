package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.junit.jupiter.api.Test;
import org.policyrouter.policy.RelayHost;

/**
 * Issue 18: the relay client opened a connection (and a JavaMail session, and with it a thread for
 * the write timeout) for every mail. Counted at the peer: connections, transactions, RSETs.
 */
class SmtpRelayClientTest extends ClosedAfterEach {


    SmtpRelayClient client(int recipientLimit, Duration cacheTime, Duration commandTimeout) throws Exception {
        return open(new SmtpRelayClient(Duration.ofSeconds(5), commandTimeout, Optional.of("router.test"), recipientLimit, cacheTime,
            Duration.ofSeconds(300), Duration.ofSeconds(60)));
    }

    static List<MailAddress> recipients(int count, String domain) {
        return IntStream.range(0, count).mapToObj(i -> {
            try {
                return new MailAddress("r" + i + "@" + domain);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).collect(Collectors.toList());
    }

    static MimeMessage message(int bodyBytes) throws Exception {
        return MimeMessageBuilder.mimeMessageBuilder().setSubject("relayed").setText("x".repeat(bodyBytes)).build();
    }

    static RecipientOutcomes send(SmtpRelayClient client, RecordingSmtpServer peer, List<MailAddress> recipients, MimeMessage message) throws Exception {
        return client.deliver(List.of(new RelayHost("127.0.0.1", peer.port())), MaybeSender.getMailSender("sender@client.test"), recipients,
            message);
    }

    static void assertAll(RecipientOutcomes outcomes, RecipientOutcome.Status status) {
        outcomes.forEach((recipient, outcome) -> assertThat(outcome.status()).as(recipient + ": " + outcome).isEqualTo(status));
    }

    @Test
    void mailsInARowToOneHostShareOneConnectionWithRsetBetweenTransactions() throws Exception {
        RecordingSmtpServer peer = open(new RecordingSmtpServer());
        SmtpRelayClient client = client(50, Duration.ofSeconds(2), Duration.ofSeconds(30));

        for (int i = 0; i < 10; i++) {
            assertAll(send(client, peer, recipients(1, "mail" + i + ".test"), message(100)), RecipientOutcome.Status.DELIVERED);
        }

        assertThat(peer.connections()).isEqualTo(1);
        assertThat(peer.transactions()).hasSize(10);
        assertThat(peer.commands().stream().filter("RSET"::equals).count()).isEqualTo(9);
        assertThat(peer.commands().stream().filter(command -> command.startsWith("EHLO")).count()).isEqualTo(1);
    }

    @Test
    void withoutACacheTimeEveryMailHasItsOwnConnectionAndSaysQuit() throws Exception {
        RecordingSmtpServer peer = open(new RecordingSmtpServer());
        SmtpRelayClient client = client(50, Duration.ZERO, Duration.ofSeconds(30));

        for (int i = 0; i < 3; i++) {
            send(client, peer, recipients(1, "mail.test"), message(100));
        }

        assertThat(peer.connections()).isEqualTo(3);
        org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(peer.commands()).filteredOn("QUIT"::equals).hasSize(3));
    }

    @Test
    void recipientsBeyondTheLimitGoInFurtherTransactionsOnTheSameConnection() throws Exception {
        RecordingSmtpServer peer = open(new RecordingSmtpServer(Set.of("r60@many.test")));
        SmtpRelayClient client = client(50, Duration.ofSeconds(2), Duration.ofSeconds(30));

        RecipientOutcomes outcomes = send(client, peer, recipients(120, "many.test"), message(100));

        assertThat(peer.transactions()).extracting(List::size).containsExactly(50, 49, 20);
        assertThat(peer.connections()).isEqualTo(1);
        assertThat(outcomes.size()).isEqualTo(120);
        assertThat(outcomes.get(new MailAddress("r60@many.test")).status()).isEqualTo(RecipientOutcome.Status.PERMANENT_FAILURE);
        assertThat(outcomes.get(new MailAddress("r119@many.test")).status()).isEqualTo(RecipientOutcome.Status.DELIVERED);
    }

    @Test
    void aConnectionThePeerClosedWhileIdleIsReplacedWithoutFailingTheMail() throws Exception {
        RecordingSmtpServer peer = open(new RecordingSmtpServer().droppingAfterTransaction());
        SmtpRelayClient client = client(50, Duration.ofSeconds(2), Duration.ofSeconds(30));

        assertAll(send(client, peer, recipients(1, "first.test"), message(100)), RecipientOutcome.Status.DELIVERED);
        Thread.sleep(200);
        assertAll(send(client, peer, recipients(1, "second.test"), message(100)), RecipientOutcome.Status.DELIVERED);

        assertThat(peer.connections()).isEqualTo(2);
        assertThat(peer.transactions()).hasSize(2);
    }

    @Test
    void aPeerThatStopsReadingTheDataIsCutOffAfterTheCommandTimeoutWithoutAThreadPerConnection() throws Exception {
        RecordingSmtpServer peer = open(new RecordingSmtpServer().stallingInData());
        SmtpRelayClient client = client(50, Duration.ofSeconds(2), Duration.ofSeconds(1));
        MimeMessage large = message(32 * 1024 * 1024);
        long threadsBefore = Thread.getAllStackTraces().keySet().stream().filter(thread -> thread.getName().startsWith("pool-")).count();

        Instant start = Instant.now();
        RecipientOutcomes outcomes = send(client, peer, recipients(1, "stalled.test"), large);

        assertAll(outcomes, RecipientOutcome.Status.TEMPORARY_FAILURE);
        assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(20));
        assertThat(Thread.getAllStackTraces().keySet().stream().filter(thread -> thread.getName().startsWith("pool-")).count())
            .as("JavaMail's write timeout thread").isEqualTo(threadsBefore);
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName).contains("policyrouter-relay-watchdog");
    }

    @Test
    void aHostThatDidNotAnswerIsNotTriedAgainUntilItsTimeIsOverOrAFlush() throws Exception {
        RecordingSmtpServer hung = open(new RecordingSmtpServer().silent());
        SmtpRelayClient client = client(50, Duration.ofSeconds(2), Duration.ofSeconds(1));

        RecipientOutcomes first = send(client, hung, recipients(1, "hung.test"), message(100));
        Instant start = Instant.now();
        RecipientOutcomes second = send(client, hung, recipients(1, "hung.test"), message(100));
        Duration secondTook = Duration.between(start, Instant.now());

        assertAll(first, RecipientOutcome.Status.TEMPORARY_FAILURE);
        assertAll(second, RecipientOutcome.Status.TEMPORARY_FAILURE);
        assertThat(second.get(new MailAddress("r0@hung.test")).reply()).contains("not tried again for 60s");
        assertThat(hung.connections()).isEqualTo(1);
        assertThat(secondTook).as("no wait for a timeout").isLessThan(Duration.ofMillis(900));

        org.policyrouter.spool.Flushes.happened();
        send(client, hung, recipients(1, "hung.test"), message(100));
        assertThat(hung.connections()).as("a flush tries it again").isEqualTo(2);
    }
}
