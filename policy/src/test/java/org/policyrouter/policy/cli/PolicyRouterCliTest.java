package org.policyrouter.policy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.policy.PolicyDirectory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class PolicyRouterCliTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private String stdin = "";

    private PolicyDirectory policy() {
        return new PolicyDirectory(dir);
    }

    private int run(String... args) {
        return PolicyRouterCli.run(Arrays.asList(args), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> outLines() {
        return lines(out);
    }

    private List<String> errLines() {
        return lines(err);
    }

    private static List<String> lines(ByteArrayOutputStream stream) {
        String text = stream.toString(StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
    }

    @Test
    void checkAcceptsAValidDirectory() {
        policy().write("transport", "a.example 10.0.0.1", "b.example mx").write("aliases", "root max");

        assertThat(run("check", dir.toString())).isZero();
        assertThat(outLines()).containsExactly(dir + ": OK: 0 variables, 2 transport rules, relayhost not set, 0 rewrite rules, 1 aliases");
        assertThat(errLines()).isEmpty();
    }

    @Test
    void checkReportsEveryBrokenLineWithItsNumberAndExitsOne() {
        policy()
            .write("transport",
                "# header",
                "a.example 10.0.0.1:70000",
                "b.example mx",
                "/(unclosed/ mx",
                "",
                "c.example $nowhere",
                "onlyonefield")
            .write("rewrite", "from a.example b.example", "sideways a.example b.example");

        assertThat(run("check", dir.toString())).isEqualTo(1);
        assertThat(errLines()).containsExactly(
            "transport:2: port 70000 out of range 1-65535 in relay host '10.0.0.1:70000'",
            "transport:4: invalid regex /(unclosed/: missing closing )",
            "transport:6: undefined variable $nowhere (define it in variables)",
            "transport:7: expected 'destination next-hop'",
            "rewrite:2: unknown direction 'sideways': expected from, to or both",
            dir + ": 5 errors");
        assertThat(outLines()).isEmpty();
    }

    /** Issue 15: a repeated destination stopped the server; postmap warns and keeps the first. */
    @Test
    void checkWarnsOfADuplicateDestinationWithBothLineNumbersAndExitsZero() {
        policy().write("transport", "# header", "a.example 10.0.0.1", "b.example mx", "", "a.example 10.0.0.2");

        assertThat(run("check", dir.toString())).isZero();
        assertThat(errLines()).containsExactly(
            "transport:5: warning: duplicate destination 'a.example': line 2 already matches it, so this line is never used");
        assertThat(outLines()).contains(dir + ": OK: 0 variables, 2 transport rules, relayhost not set, 0 rewrite rules, 0 aliases");
    }

    @Test
    void checkRefusesAPipeCommandLineWithAnUnterminatedQuote() {
        policy().write("transport", "ok.example |/bin/true", "x.example |/bin/prog \"unterminated");

        assertThat(run("check", dir.toString())).isEqualTo(1);
        assertThat(errLines()).containsExactly(
            "transport:2: unterminated quote (\") in '/bin/prog \"unterminated'",
            dir + ": 1 error");
    }

    @Test
    void checkRefusesAPipeThatWouldRunAsRootOrAsNobodyKnown() {
        policy().write("transport", "ok.example user=nobody |/bin/true", "x.example user=root |/bin/true", "y.example user=no-such-user-xq |/bin/true");

        assertThat(run("check", dir.toString())).isEqualTo(1);
        assertThat(errLines()).containsExactly(
            "transport:2: user=root: unix user 'root' has uid 0: programs never run as root",
            "transport:3: user=no-such-user-xq: unknown unix user 'no-such-user-xq'",
            dir + ": 2 errors");
    }

    @Test
    void checkNotesThatRelayhostOverridesTransport() {
        policy().write("transport", "a.example 10.0.0.1").write("relayhost", "relayhost [::1]:2425");

        assertThat(run("check", dir.toString())).isZero();
        assertThat(outLines()).anyMatch(line -> line.startsWith("note: relayhost is set"));
    }

    @Test
    void checkOfAMissingDirectoryExitsOne() {
        assertThat(run("check", dir.resolve("nope").toString())).isEqualTo(1);
        assertThat(errLines()).containsExactly(dir.resolve("nope") + ": no such policy directory");
    }

    @Test
    void wrongUsageExitsTwo() {
        assertThat(run()).isEqualTo(2);
        assertThat(run("frobnicate")).isEqualTo(2);
        assertThat(run("query", dir.toString())).isEqualTo(2);
        assertThat(run("query", "--bogus", "a@b")).isEqualTo(2);
        assertThat(errLines()).anyMatch(line -> line.startsWith("usage: policy-router check"));
    }

    @Test
    void queryShowsRewriteNextHopRuleAndAlias() {
        policy()
            .write("rewrite", "to *.servers.company.foo company.foo", "from old.example new.example")
            .write("variables", "mda /usr/bin/maildrop -d USER")
            .write("transport", "company.foo $mda", "relay.example a.example,[::1]:2425")
            .write("aliases", "root max", ".*master admin");

        assertThat(run("query", dir.toString(), "--from", "me@old.example",
            "webmaster@web1.servers.company.foo", "<x@relay.example>", "ghost@company.foo", "u@else.example")).isZero();

        assertThat(outLines()).containsExactly(
            "address=webmaster@web1.servers.company.foo rewritten=webmaster@company.foo rewriteRule=rewrite:1 sender=me@old.example"
                + " rewrittenSender=me@new.example type=mda target=\"/usr/bin/maildrop -d USER\" rule=transport:1 alias=admin aliasRule=aliases:2",
            "address=x@relay.example rewritten=x@relay.example sender=me@old.example rewrittenSender=me@new.example type=smtp"
                + " target=a.example,[::1]:2425 hosts=a.example:25,[::1]:2425 rule=transport:2",
            "address=ghost@company.foo rewritten=ghost@company.foo sender=me@old.example rewrittenSender=me@new.example type=mda"
                + " target=\"/usr/bin/maildrop -d USER\" rule=transport:1 aliasStatus=5.1.1 aliasReason=\"unknown user 'ghost': no entry in aliases\"",
            "address=u@else.example rewritten=u@else.example sender=me@old.example rewrittenSender=me@new.example type=mx"
                + " target=\"\" rule=default");
    }

    @Test
    void queryJsonPrintsOneObjectPerAddress() throws Exception {
        policy().write("transport", "a.example error:5.7.1 \"no\" mail", "b.example queue/robots").write("relayhost", "");

        assertThat(run("query", dir.toString(), "--json", "u@a.example", "u@b.example", "u@c.example")).isZero();

        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> objects = new ArrayList<>();
        for (String line : outLines()) {
            objects.add(mapper.readTree(line));
        }
        assertThat(objects).hasSize(3);
        assertThat(objects.get(0).get("address").asText()).isEqualTo("u@a.example");
        assertThat(objects.get(0).get("rewritten").asText()).isEqualTo("u@a.example");
        assertThat(objects.get(0).get("type").asText()).isEqualTo("error");
        assertThat(objects.get(0).get("target").asText()).isEqualTo("5.7.1 \"no\" mail");
        assertThat(objects.get(0).get("rule").asText()).isEqualTo("transport:1");
        assertThat(objects.get(1).get("type").asText()).isEqualTo("queue");
        assertThat(objects.get(1).get("target").asText()).isEqualTo("robots");
        assertThat(objects.get(2).get("type").asText()).isEqualTo("mx");
        assertThat(objects.get(2).get("rule").asText()).isEqualTo("default");
    }

    @Test
    void queryOfInvalidTablesPrintsTheErrorsAndExitsOne() {
        policy().write("transport", "a.example host:0");

        assertThat(run("query", dir.toString(), "u@a.example")).isEqualTo(1);
        assertThat(errLines()).first().isEqualTo("transport:1: port 0 out of range 1-65535 in relay host 'host:0'");
    }

    @Test
    void queryUsesTheDistributionsPolicyDirectoryByDefault() throws Exception {
        Path policyDirectory = dir.resolve("conf").resolve("policy");
        Files.createDirectories(policyDirectory);
        new PolicyDirectory(policyDirectory).write("relayhost", "relayhost 10.1.1.1:2525");
        String previous = System.getProperty(PolicyRouterCli.HOME_PROPERTY);
        System.setProperty(PolicyRouterCli.HOME_PROPERTY, dir.toString());
        try {
            assertThat(run("query", "u@example.com")).isZero();
        } finally {
            if (previous == null) {
                System.clearProperty(PolicyRouterCli.HOME_PROPERTY);
            } else {
                System.setProperty(PolicyRouterCli.HOME_PROPERTY, previous);
            }
        }
        assertThat(outLines()).containsExactly("address=u@example.com rewritten=u@example.com type=smtp target=10.1.1.1:2525"
            + " hosts=10.1.1.1:2525 rule=relayhost");
    }

    @Test
    void queryAnswersEveryAddressOfAOneHundredThousandRuleTable() throws Exception {
        StringBuilder transport = new StringBuilder();
        StringBuilder addresses = new StringBuilder();
        for (int i = 1; i <= 100_000; i++) {
            String destination = i % 100 == 0 ? "/^list-" + i + "[a-z]*@/" : i % 3 == 0 ? "*.sub" + i + ".example"
                : i % 3 == 1 ? "d" + i + ".example" : "user" + i + "@a" + i + ".example";
            transport.append(destination).append(" 10.").append(i / 65536).append('.').append(i / 256 % 256).append('.')
                .append(i % 256).append('\n');
            if (i % 97 == 0) {
                String address = i % 100 == 0 ? "list-" + i + "x@lists.example" : i % 3 == 0 ? "u@x.sub" + i + ".example"
                    : i % 3 == 1 ? "u@d" + i + ".example" : "user" + i + "@a" + i + ".example";
                addresses.append(address).append('\n');
            }
        }
        Files.writeString(dir.resolve("transport"), transport);
        stdin = addresses.toString();

        assertThat(run("query", dir.toString(), "--json", "-", "nobody@nowhere.example")).isZero();

        ObjectMapper mapper = new ObjectMapper();
        List<String> lines = outLines();
        assertThat(lines).hasSize(100_000 / 97 + 1);
        for (int n = 0; n < lines.size() - 1; n++) {
            int i = (n + 1) * 97;
            JsonNode answer = mapper.readTree(lines.get(n));
            assertThat(answer.get("rule").asText()).as(answer.toString()).isEqualTo("transport:" + i);
            assertThat(answer.get("target").asText()).isEqualTo("10." + (i / 65536) + "." + (i / 256 % 256) + "." + (i % 256));
        }
        assertThat(mapper.readTree(lines.get(lines.size() - 1)).get("rule").asText()).isEqualTo("default");
    }
}
