package org.policyrouter.it.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.ScriptedSmtpServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What an operator's Prometheus and load balancer see of the bundled server: {@code GET /metrics}
 * counts each delivery per outcome and next-hop type and shows the deferred queue; {@code GET
 * /healthcheck} degrades while var/spool/corrupt/ holds a file or a policy edit is broken.
 */
class ObservabilityIT {
    /** One SMTP next hop: 250 for sent@, 451 for later@, 550 for unknown@. */
    static final ScriptedSmtpServer NEXT_HOP = scripted();

    static final PolicyRouterJames.Builder SERVER = PolicyRouterJames.builder()
        .withFile("policy/transport", "remote.example " + NEXT_HOP.hostAndPort() + "\n"
            // the non-delivery report to sender@client.example: a second next-hop type
            + "client.example queue/maildir\n");

    @RegisterExtension
    static JamesServerExtension james = SERVER.build();

    static ScriptedSmtpServer scripted() {
        try {
            return ScriptedSmtpServer.answeringRcpt(address -> address.startsWith("later@") ? "451 4.3.0 try again later"
                : address.startsWith("unknown@") ? "550 5.1.1 no such user" : "250 2.1.5 OK");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stopNextHop() throws IOException {
        NEXT_HOP.close();
    }

    /** The samples of a Prometheus text exposition, by name (with labels, if any). */
    static Map<String, Double> samples(WebAdmin webAdmin) throws Exception {
        HttpResponse<String> response = webAdmin.getText("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Double> samples = new HashMap<>();
        for (String line : response.body().split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return samples;
    }

    static JsonNode healthcheck(WebAdmin webAdmin) throws Exception {
        return new ObjectMapper().readTree(webAdmin.getText("/healthcheck").body());
    }

    static JsonNode check(JsonNode health, String component) {
        for (JsonNode check : health.get("checks")) {
            if (check.get("componentName").asText().equals(component)) {
                return check;
            }
        }
        throw new AssertionError("no check " + component + " in " + health);
    }

    @Test
    void metricsCountDeliveriesPerOutcomeAndNextHopTypeAndShowTheDeferredQueue(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);
        // the other test of this class delivers too
        Map<String, Double> before = samples(webAdmin);

        DeferredQueueIT.send(server, "sent@remote.example", "delivered");
        DeferredQueueIT.send(server, "later@remote.example", "deferred");
        DeferredQueueIT.send(server, "unknown@remote.example", "bounced");

        // the report of the bounce is the last thing delivered
        Map<String, Double> after = Awaitility.await().atMost(Duration.ofSeconds(60))
            .until(() -> samples(webAdmin), now -> increase(before, now, "policyrouter_delivery_sent_maildir_total") == 1.0);
        Map<String, Double> increases = new HashMap<>();
        after.keySet().forEach(name -> increases.put(name, increase(before, after, name)));
        assertThat(increases)
            .containsEntry("policyrouter_delivery_sent_smtp_total", 1.0)
            .containsEntry("policyrouter_delivery_deferred_smtp_total", 1.0)
            .containsEntry("policyrouter_delivery_bounced_smtp_total", 1.0)
            .containsEntry("policyrouter_delivery_sent_maildir_total", 1.0)
            .containsEntry("policyrouter_delivery_sent_total", 2.0)
            .containsEntry("policyrouter_delivery_deferred_total", 1.0)
            .containsEntry("policyrouter_delivery_bounced_total", 1.0)
            .containsEntry("policyrouter_spool_deferred_queue", 1.0)
            .containsEntry("policyrouter_spool_deferred_total", 1.0)
            .containsEntry("policyrouter_spool_bounced_total", 1.0);
        assertThat(after).containsEntry("policyrouter_spool_deferred_queue", 1.0);
        // each 250 waited for an fsync of the journal
        assertThat(increases.get("policyrouter_spool_fsync_count")).isGreaterThanOrEqualTo(3.0);
        assertThat(after).containsKey("policyrouter_spool_fsync{quantile=\"0.99\",}");
    }

    static double increase(Map<String, Double> before, Map<String, Double> after, String name) {
        return after.getOrDefault(name, 0.0) - before.getOrDefault(name, 0.0);
    }

    @Test
    void healthDegradesWhileCorruptHoldsAFileOrAPolicyEditIsBrokenAndRecovers(GuiceJamesServer server) throws Exception {
        WebAdmin webAdmin = WebAdmin.of(server);
        JsonNode healthy = healthcheck(webAdmin);
        assertThat(healthy.get("status").asText()).as(healthy.toString()).isEqualTo("healthy");
        assertThat(check(healthy, "Spool fsync").get("status").asText()).isEqualTo("healthy");

        Path corrupt = SERVER.confDirectory().resolveSibling("var/spool/corrupt");
        Files.createDirectories(corrupt);
        Path garbage = Files.writeString(corrupt.resolve("deferred-1A2B3C-damaged"), "not an envelope");
        Path transport = SERVER.confDirectory().resolve("policy/transport");
        String good = Files.readString(transport);
        Files.writeString(transport, good + "broken.example host:99999\n");

        JsonNode degraded = Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> healthcheck(webAdmin), health -> check(health, "Policy tables").get("status").asText().equals("degraded"));
        assertThat(webAdmin.getText("/healthcheck").statusCode()).as("degraded still answers 200").isEqualTo(200);
        assertThat(degraded.get("status").asText()).isEqualTo("degraded");
        assertThat(check(degraded, "Spool corrupt files").get("cause").asText())
            .isEqualTo("1 file in " + corrupt.toRealPath() + " could not be read back, for an operator to look at and remove");
        assertThat(check(degraded, "Policy tables").get("cause").asText())
            .startsWith("last reload failed, still routing with the last good tables: ")
            .endsWith("policy: transport:3: port 99999 out of range 1-65535 in relay host 'host:99999'");
        // still routing with the last good tables
        DeferredQueueIT.send(server, "sent@remote.example", "while the edit is broken");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> NEXT_HOP.messages().stream()
            .anyMatch(message -> new String(message).contains("while the edit is broken")));

        Files.delete(garbage);
        Files.writeString(transport, good);
        JsonNode recovered = Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> healthcheck(webAdmin), health -> health.get("status").asText().equals("healthy"));
        assertThat(check(recovered, "Policy tables").get("status").asText()).isEqualTo("healthy");
    }
}
