package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every example of the router spec's CONFIG section (seed 000), parsed and behaving as the spec says. */
class SeedExamplesTest {
    @TempDir
    Path dir;

    private PolicyDirectory policy() {
        return new PolicyDirectory(dir);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "relayhost 172.10.1.1                  | 172.10.1.1:25",
        "relayhost 10.1.1.1:2525               | 10.1.1.1:2525",
        "relayhost [::1]:2425                  | [::1]:2425",
        "relayhost mx.foo.bar,mx.backup.foo.bar | mx.foo.bar:25,mx.backup.foo.bar:25",
        "mx.foo.bar,mx.backup.foo.bar          | mx.foo.bar:25,mx.backup.foo.bar:25",
        "relayhost relay2                       | relay2.me.example:25",
    })
    void relayhostExamplesTakeEveryRecipient(String line, String hosts) throws Exception {
        PolicyTables tables = policy().write("relayhost", line).write("transport", "foo.bar mx").load();

        Route route = tables.resolve("user@foo.bar");
        assertThat(route.rule()).isEqualTo(Route.RELAYHOST_RULE);
        assertThat(route.nextHop().type()).isEqualTo(NextHop.Type.SMTP);
        assertThat(String.join(",", route.nextHop().relayHosts().stream().map(RelayHost::toString).toArray(String[]::new)))
            .isEqualTo(hosts);
    }

    @Test
    void transportExamplesRouteDomainsSubdomainsAndRegexes() throws Exception {
        PolicyTables tables = policy().write("transport",
            "# destination next-hop",
            "foo.bar 172.10.1.1",
            "*.foo queue/maildir",
            "/blah/ |my-mail-robot.pl",
            "robot.example /usr/bin/maildrop")
            .write("aliases", "root max").load();

        assertThat(tables.resolve("user@foo.bar")).isEqualTo(new Route(NextHop.parse("172.10.1.1", Optional.empty()), "transport:2"));
        assertThat(tables.resolve("user@deep.sub.foo").nextHop().type()).isEqualTo(NextHop.Type.MAILDIR);
        assertThat(tables.resolve("blah@anywhere.example").nextHop().type()).isEqualTo(NextHop.Type.PIPE);
        assertThat(tables.resolve("blah@anywhere.example").nextHop().target()).isEqualTo("my-mail-robot.pl");
        assertThat(tables.resolve("root@robot.example").nextHop().type()).isEqualTo(NextHop.Type.MDA);
        assertThat(tables.resolve("root@robot.example").nextHop().target()).isEqualTo("/usr/bin/maildrop");
        // "mx via smtp: used if ... transport is configured but no entry matches"
        assertThat(tables.resolve("user@other.example")).isEqualTo(new Route(NextHop.MX, Route.DEFAULT_RULE));
    }

    @Test
    void topEntriesHavePrecedence() throws Exception {
        PolicyTables tables = policy().write("transport", "/blah/ 10.0.0.1", "blah.foo 10.0.0.2").load();

        assertThat(tables.resolve("x@blah.foo").rule()).isEqualTo("transport:1");
    }

    @Test
    void variableInARegexRule() throws Exception {
        PolicyTables tables = policy()
            .write("variables", "splunkmta 10.9.8.7:2525")
            .write("transport", "/.*spl-[0-9]{6}\\.foo.bar/ $splunkmta").load();

        Route route = tables.resolve("events@host-spl-123456.foo.bar");
        assertThat(route.rule()).isEqualTo("transport:1");
        assertThat(route.nextHop().relayHosts()).containsExactly(new RelayHost("10.9.8.7", 2525));
        assertThat(tables.resolve("events@host-spl-12345.foo.bar").rule()).isEqualTo(Route.DEFAULT_RULE);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "from *.servers.company.foo company.foo | from | web1.servers.company.foo | company.foo",
        "to foo.bar other.bar                  | to   | foo.bar                   | other.bar",
        "both *.bar bar                        | both | mx.bar                    | bar",
        "from /[0-9]*.foo.bar/ foo.bar          | from | 12.foo.bar                | foo.bar",
        "to /.*.foo.bar/ foo.bar                | to   | a.b.foo.bar               | foo.bar",
    })
    void rewriteExamplesReplaceTheDomainInTheirDirection(String line, String direction, String oldDomain, String newDomain) throws Exception {
        PolicyTables tables = policy().write("rewrite", line).load();
        String address = "Some.User@" + oldDomain;
        String rewritten = "Some.User@" + newDomain;

        assertThat(tables.rewriteSender(address)).isEqualTo(direction.equals("to") ? address : rewritten);
        assertThat(tables.rewriteRecipient(address)).isEqualTo(direction.equals("from") ? address : rewritten);
    }

    @Test
    void transportAndAliasesMatchRewrittenAddresses() throws Exception {
        PolicyTables tables = policy()
            .write("rewrite", "to *.servers.company.foo company.foo")
            .write("transport", "company.foo /usr/bin/maildrop -d USER")
            .write("aliases", "root max", ".*master admin", ".*www.* phpgroup").load();

        RecipientDecision decision = tables.decide("webmaster@web1.servers.company.foo", Optional.empty());
        assertThat(decision.rewritten()).isEqualTo("webmaster@company.foo");
        assertThat(decision.route().rule()).isEqualTo("transport:1");
        assertThat(decision.alias().orElseThrow().unixUser()).isEqualTo("admin");
    }

    @Test
    void aliasesExamplesMapVirtualUsersToUnixUsers() throws Exception {
        PolicyTables tables = policy().write("aliases", "root max", ".*master admin", ".*www.* phpgroup").load();

        assertThat(tables.alias("root").unixUser()).isEqualTo("max");
        assertThat(tables.alias("postmaster").unixUser()).isEqualTo("admin");
        assertThat(tables.alias("my-www-site").unixUser()).isEqualTo("phpgroup");
        // "there must be an entry for EVERY valid recipient"
        assertThat(tables.alias("nobody-here").isFound()).isFalse();
        assertThat(tables.alias("nobody-here").status()).isEqualTo("5.1.1");
    }
}
