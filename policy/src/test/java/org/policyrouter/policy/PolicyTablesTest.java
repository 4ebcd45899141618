package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyTablesTest {
    @TempDir
    Path dir;

    private PolicyDirectory policy() {
        return new PolicyDirectory(dir);
    }

    @Test
    void anEmptyDirectoryRoutesEverythingByMx() throws Exception {
        PolicyTables tables = policy().load();

        assertThat(tables.resolve("u@example.com")).isEqualTo(new Route(NextHop.MX, Route.DEFAULT_RULE));
        assertThat(tables.rewriteRecipient("u@example.com")).isEqualTo("u@example.com");
    }

    @Test
    void reportsTheErrorsOfAllFilesTogether() {
        policy()
            .write("variables", "bad-name x")
            .write("transport", "a.example host:0")
            .write("relayhost", "[::1")
            .write("rewrite", "up a.example b.example")
            .write("aliases", "root root");

        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(PolicyFileException.class)
            .satisfies(e -> assertThat(((PolicyFileException) e).errors()).extracting(PolicyError::file)
                .containsExactly("variables", "transport", "relayhost", "rewrite", "aliases"));
    }

    /** Issue 15: "top entries have precedence": an existing table with a dead duplicate is valid, as postmap warns and keeps the first. */
    @Test
    void aDuplicateDestinationIsAWarningAndTheFirstRuleWins() throws Exception {
        PolicyTables tables = policy().write("transport", "Foo.Bar 10.0.0.1", "*.foo.bar mx", "foo.bar 10.0.0.2", "/x/ mx", "/x/ local").load();

        assertThat(tables.warnings()).extracting(PolicyError::toString).containsExactly(
            "transport:3: warning: duplicate destination 'foo.bar': line 1 already matches it, so this line is never used",
            "transport:5: warning: duplicate destination '/x/': line 4 already matches it, so this line is never used");
        assertThat(tables.resolve("u@foo.bar").nextHop().spec()).isEqualTo("10.0.0.1");
        assertThat(tables.resolve("x@y.example").nextHop().spec()).isEqualTo("mx");
        assertThat(tables.transport().rules()).hasSize(3);
    }

    @Test
    void relayhostTakesOneLineWithCommasBetweenHosts() {
        policy().write("relayhost", "relayhost a.example b.example", "c.example");

        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("relayhost:1: white space in relay host 'a.example b.example': separate hosts with commas")
            .hasMessageContaining("relayhost:2: relayhost takes one line");
    }

    @Test
    void relayhostAllowsSpacesAfterCommasAndKeepsLocalhost() throws Exception {
        PolicyTables tables = policy().write("relayhost", "relayhost localhost:2525, backup").load();

        assertThat(tables.relayHost().orElseThrow().relayHosts())
            .containsExactly(new RelayHost("localhost", 2525), new RelayHost("backup.me.example", 25));
    }

    @Test
    void decidesRewriteRouteAndAliasForOneRecipient() throws Exception {
        PolicyTables tables = policy()
            .write("rewrite", "both old.example new.example")
            .write("transport", "new.example /usr/bin/maildrop -d USER")
            .write("aliases", "root max", "ann ann").load();

        RecipientDecision decision = tables.decide("Ann@Old.Example", Optional.of("bob@old.example"));

        assertThat(decision.rewritten()).isEqualTo("Ann@new.example");
        assertThat(decision.rewriteRule()).contains("rewrite:1");
        assertThat(decision.rewrittenSender()).contains("bob@new.example");
        assertThat(decision.route().rule()).isEqualTo("transport:1");
        assertThat(decision.alias().orElseThrow().unixUser()).isEqualTo("ann");
    }

    @Test
    void routesOneHundredThousandRulesByTheirFirstMatch() throws Exception {
        StringBuilder transport = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            transport.append(i % 100 == 7 ? "/^r" + i + "-[0-9]+@/" : i % 3 == 0 ? "*.w" + i + ".example" : "d" + i + ".example")
                .append(" 10.0.").append(i % 250).append(".1\n");
        }
        java.nio.file.Files.writeString(dir.resolve("transport"), transport);
        PolicyTables tables = policy().load();

        assertThat(tables.resolve("u@d99998.example").rule()).isEqualTo("transport:99999");
        assertThat(tables.resolve("u@a.b.w99999.example").rule()).isEqualTo("transport:100000");
        assertThat(tables.resolve("r99907-12@d99998.example").rule()).isEqualTo("transport:99908");
        assertThat(tables.resolve("u@nowhere.example").rule()).isEqualTo(Route.DEFAULT_RULE);
    }
}
