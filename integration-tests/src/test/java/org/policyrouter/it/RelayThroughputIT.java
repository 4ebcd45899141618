package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 18, counted at the next hops: one transaction per next hop whatever the rules, connections
 * reused and bounded by the destination's concurrency limit, and a 451 in a grouped transaction
 * deferring that recipient alone.
 */
class RelayThroughputIT {
    static final int CONCURRENCY = 3;
    static final ScriptedSmtpServer TEN_DOMAINS = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);
    static final ScriptedSmtpServer BUSY = DeliveryAgentsIT.unchecked(ScriptedSmtpServer::recording);
    static final Set<String> DEFERRED_ONCE = ConcurrentHashMap.newKeySet();
    static final ScriptedSmtpServer PICKY = DeliveryAgentsIT.unchecked(() -> ScriptedSmtpServer.answeringRcpt(
        address -> address.startsWith("later@") && DEFERRED_ONCE.add(address) ? "451 4.2.0 <" + address + ">: try again later" : "250 2.1.5 OK"));

    @RegisterExtension
    static JamesServerExtension james = PolicyRouterJames.builder()
        .withFile("policy/transport", IntStream.range(0, 10).mapToObj(i -> "d" + i + ".example " + TEN_DOMAINS.hostAndPort())
            .collect(Collectors.joining("\n", "", "\n"))
            + "busy.example " + BUSY.hostAndPort() + "\n"
            + "picky.example " + PICKY.hostAndPort() + "\n"
            + "picky2.example " + PICKY.hostAndPort() + "\n")
        .editConf("mailetcontainer.xml", xml -> xml
            .replace("<minimalBackoff>5m</minimalBackoff>", "<minimalBackoff>1s</minimalBackoff>")
            .replace("class=\"org.policyrouter.mailets.RelayDelivery\">",
                "class=\"org.policyrouter.mailets.RelayDelivery\">\n<destinationConcurrencyLimit>" + CONCURRENCY + "</destinationConcurrencyLimit>"))
        .build();

    static final String MESSAGE = String.join("\r\n", "From: sender@client.example", "Subject: relayed", "", "body", "");

    @AfterAll
    static void stopHops() throws Exception {
        TEN_DOMAINS.close();
        BUSY.close();
        PICKY.close();
    }

    @Test
    void tenRecipientsInTenDomainsRoutedToOneHostArriveInOneTransaction(GuiceJamesServer server) throws Exception {
        List<String> recipients = IntStream.range(0, 10).mapToObj(i -> "user@d" + i + ".example").collect(Collectors.toList());

        DeliveryAgentsIT.send(server, "sender@client.example", recipients, MESSAGE);

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> TEN_DOMAINS.transactionCount() > 0);
        Thread.sleep(2000);
        assertThat(TEN_DOMAINS.transactions()).singleElement().satisfies(rcpts -> assertThat(rcpts).containsExactlyInAnyOrderElementsOf(recipients));
        assertThat(TEN_DOMAINS.commands()).filteredOn(command -> command.toUpperCase().startsWith("RCPT TO:")).hasSize(10);
    }

    @Test
    void aHundredMailsToOneHostUseNoMoreConnectionsThanItsConcurrencyLimit(GuiceJamesServer server) throws Exception {
        for (int i = 0; i < 100; i++) {
            DeliveryAgentsIT.send(server, "sender@client.example", List.of("user" + i + "@busy.example"), MESSAGE);
        }

        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> BUSY.transactionCount() >= 100);
        assertThat(BUSY.transactions()).hasSize(100);
        assertThat(BUSY.connectionCount()).isBetween(1, CONCURRENCY);
    }

    @Test
    void aRecipientRefusedWith451InAGroupedTransactionIsDeferredAloneAndLaterDeliveredAlone(GuiceJamesServer server) throws Exception {
        DeliveryAgentsIT.send(server, "sender@client.example", List.of("now@picky.example", "later@picky.example", "also@picky2.example"), MESSAGE);

        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> PICKY.transactionCount() >= 2);
        assertThat(PICKY.transactions()).hasSize(2);
        assertThat(PICKY.transactions().get(0)).containsExactlyInAnyOrder("now@picky.example", "also@picky2.example");
        assertThat(PICKY.transactions().get(1)).containsExactly("later@picky.example");
    }
}
