package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Big inputs: many recipients over many next hops, and a 30 MB 8-bit message through a pipe and an SMTP hop. */
class BulkDeliveryIT {
    static final List<ScriptedSmtpServer> HOPS = IntStream.range(0, 5)
        .mapToObj(i -> DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording)).collect(Collectors.toList());
    // the pipe runs as nobody and writes here
    static final Path OUT = DeliveryAgentsIT.unchecked(() -> Files.setPosixFilePermissions(Files.createTempDirectory("bulk-pipe"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx")));

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", IntStream.range(0, 50)
            .mapToObj(d -> "d" + d + ".bulk.example " + HOPS.get(d % 5).hostAndPort())
            .collect(Collectors.joining("\n", "", "\n"))
            + "big.example " + HOPS.get(0).hostAndPort() + "\n"
            + "bigpipe.example |/bin/sh -c \"cat > " + OUT.resolve("big.msg") + "\"\n")
        .editConf("mailetcontainer.xml", xml -> ConfEdits.mailetParameter(xml, "org.policyrouter.mailets.PipeDelivery", "lineEnding", "crlf"))
        // above the shipped 10 MB limit, as an operator taking large mail sets it
        .editConf("smtpserver.xml", xml -> xml.replace("<maxmessagesize>10240</maxmessagesize>", "<maxmessagesize>40000</maxmessagesize>"))
        .build();

    @AfterAll
    static void stop() throws Exception {
        for (ScriptedSmtpServer hop : HOPS) {
            hop.close();
        }
    }

    @Test
    void aThousandRecipientsOverFiftyDomainsAreSplitPerNextHopAndEachDeliveredOnce(GuiceJamesServer server) throws Exception {
        List<String> recipients = new ArrayList<>();
        for (int d = 0; d < 50; d++) {
            for (int u = 0; u < 20; u++) {
                recipients.add("u" + u + "@d" + d + ".bulk.example");
            }
        }
        DeliveryAgentsIT.send(server, "bulk@client.example", recipients, "Subject: bulk\r\n\r\nto many\r\n");

        Awaitility.await().atMost(Duration.ofSeconds(60))
            .until(() -> HOPS.stream().mapToInt(h -> rcpts(h).size()).sum() >= 1000);
        Thread.sleep(500);
        List<String> delivered = HOPS.stream().flatMap(h -> rcpts(h).stream()).sorted().collect(Collectors.toList());
        assertThat(delivered).hasSize(1000).doesNotHaveDuplicates();
        assertThat(delivered).containsExactlyInAnyOrderElementsOf(recipients.stream().map(r -> "RCPT TO:<" + r + ">").collect(Collectors.toList()));
        for (int i = 0; i < 5; i++) {
            int hop = i;
            assertThat(rcpts(HOPS.get(i))).as("hop %d gets only its domains", i)
                .allSatisfy(r -> assertThat(Integer.parseInt(r.replaceAll(".*@d([0-9]+)\\..*", "$1")) % 5).isEqualTo(hop));
        }
    }

    private static List<String> rcpts(ScriptedSmtpServer hop) {
        return hop.commands().stream().filter(c -> c.startsWith("RCPT TO:<") && c.contains("bulk.example")).collect(Collectors.toList());
    }

    @Test
    void a30MegabyteEightBitMessagePassesThroughAPipeAndAnSmtpHopByteForByte(GuiceJamesServer server) throws Exception {
        StringBuilder body = new StringBuilder(31_000_000);
        String line = "0123456789 \u00e9\u00e8\u00e0\u00fc\u00df \u20ac abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n";
        int lineBytes = line.getBytes(StandardCharsets.UTF_8).length;
        for (long bytes = 0; bytes < 30_000_000; bytes += lineBytes) {
            body.append(line);
        }
        String message = "Subject: big\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body;
        int before = HOPS.get(0).messages().size();
        byte[] expected = message.getBytes(StandardCharsets.UTF_8);

        DeliveryAgentsIT.send(server, "big@client.example", List.of("x@big.example", "y@bigpipe.example"), message);

        Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> HOPS.get(0).messages().size() > before
            && Files.exists(OUT.resolve("big.msg")) && Files.size(OUT.resolve("big.msg")) >= expected.length);
        Thread.sleep(1000);
        assertThat(expected.length).isGreaterThan(30_000_000);
        byte[] viaSmtp = HOPS.get(0).messages().get(before);
        assertThat(tail(viaSmtp, expected.length)).isEqualTo(expected);
        byte[] viaPipe = Files.readAllBytes(OUT.resolve("big.msg"));
        assertThat(tail(viaPipe, expected.length)).isEqualTo(expected);
    }

    /** The message as the client sent it: what follows our Received header. */
    private static byte[] tail(byte[] received, int length) {
        assertThat(received.length).isGreaterThanOrEqualTo(length);
        byte[] tail = new byte[length];
        System.arraycopy(received, received.length - length, tail, 0, length);
        return tail;
    }
}
