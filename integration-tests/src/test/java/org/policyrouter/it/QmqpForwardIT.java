package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.mailets.PrivatePostfix;

/**
 * Issue 15: {@code queue/qmqp-forward} through the bundled server to a real Postfix {@code qmqpd}
 * (a private instance on a loopback port, without a queue manager, so what it accepted stays in
 * its queue to be read with postcat). The first server of the rule is down: qmail-qmqpc's
 * order goes on to the next.
 */
class QmqpForwardIT {
    static final int QMQPD = DeliveryAgentsIT.unchecked(PrivatePostfix::freePort);
    static final int DOWN = DeliveryAgentsIT.unchecked(PrivatePostfix::freePort);
    static PrivatePostfix postfix;

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", "qmqp.example queue/qmqp-forward 127.0.0.1:" + DOWN + " 127.0.0.1:" + QMQPD + "\n")
        .build();

    @BeforeAll
    static void startPostfix() throws Exception {
        Path dir = Files.createTempDirectory("qmqpd");
        postfix = PrivatePostfix.start(dir, List.of("qmqpd_authorized_clients = 127.0.0.1", "qmqpd_error_delay = 0s", "in_flow_delay = 0s"),
            List.of("127.0.0.1:" + QMQPD + " inet n - n - - qmqpd", "cleanup unix n - n - 0 cleanup", "rewrite unix - - n - - trivial-rewrite"),
            List.of(QMQPD));
    }

    @AfterAll
    static void stopPostfix() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
    }

    @Test
    void theMessageReachesPostfixsQueueWithItsEnvelopeAndUnixLineEnds(GuiceJamesServer server) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).startsWith("220 ");
            assertThat(smtp.command("EHLO client.example")).startsWith("250");
            assertThat(smtp.command("MAIL FROM:<sender@client.example>")).startsWith("250 2.1.0");
            assertThat(smtp.command("RCPT TO:<one@qmqp.example>")).startsWith("250 2.1.5");
            assertThat(smtp.command("RCPT TO:<Two@qmqp.example>")).startsWith("250 2.1.5");
            assertThat(smtp.data("Subject: by qmqp\r\nMessage-ID: <qmqp-it@client.example>\r\n\r\nfirst line\r\nsecond line\r\n"))
                .startsWith("250 2.6.0");
            assertThat(smtp.command("QUIT")).startsWith("221");
        }

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> postfix.incoming().size() == 1);
        String queueId = postfix.incoming().get(0);
        String envelope = postfix.postcat("-e", queueId);
        assertThat(envelope).contains("\nsender: sender@client.example\n").contains("\nrecipient: one@qmqp.example\n")
            .contains("\nrecipient: Two@qmqp.example\n");
        assertThat(postfix.postcat("-h", queueId)).contains("Subject: by qmqp\n").contains("Message-ID: <qmqp-it@client.example>\n")
            .doesNotContain("\r");
        assertThat(postfix.postcat("-b", queueId)).isEqualTo("\nfirst line\nsecond line\n");
    }
}
