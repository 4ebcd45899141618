package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransportTableTest {
    @TempDir
    Path dir;

    private TransportTable load(String text) throws Exception {
        Path file = dir.resolve("transport");
        Files.writeString(file, text);
        return TransportTable.load(file, Optional.of("me.example"));
    }

    @Test
    void routesDomainToRelayHostAndPort() throws Exception {
        TransportTable table = load("# comment\n\nrouted.example 127.0.0.1:2526\n");

        TransportRule rule = table.lookup("User@Routed.Example").orElseThrow();
        assertThat(rule.nextHop().type()).isEqualTo(NextHop.Type.SMTP);
        assertThat(rule.nextHop().relayHosts()).containsExactly(new RelayHost("127.0.0.1", 2526));
        assertThat(rule.ruleName()).isEqualTo("transport:3");
        assertThat(table.lookup("user@sub.routed.example")).isEmpty();
    }

    @Test
    void firstMatchingLineWins() throws Exception {
        TransportTable table = load("user@foo.bar a.example\n*.foo.bar b.example\nfoo.bar c.example\n/@.*foo/ d.example\n");

        assertThat(table.lookup("user@foo.bar").orElseThrow().nextHop().spec()).isEqualTo("a.example");
        assertThat(table.lookup("other@foo.bar").orElseThrow().nextHop().spec()).isEqualTo("c.example");
        assertThat(table.lookup("x@deep.sub.foo.bar").orElseThrow().nextHop().spec()).isEqualTo("b.example");
        assertThat(table.lookup("x@barfoo").orElseThrow().nextHop().spec()).isEqualTo("d.example");
    }

    @Test
    void parsesEveryNextHopKind() throws Exception {
        TransportTable table = load(String.join("\n",
            "a.example [::1]:2425,relay2",
            "b.example |/usr/bin/robot --flag \"two words\"",
            "c.example /usr/bin/maildrop -d USER",
            "d.example queue/maildir",
            "e.example mx",
            "f.example local",
            "g.example error:5.1.1 no such domain",
            "h.example discard", ""));

        NextHop relay = table.lookup("x@a.example").orElseThrow().nextHop();
        assertThat(relay.relayHosts()).containsExactly(new RelayHost("::1", 2425), new RelayHost("relay2.me.example", 25));
        assertThat(table.lookup("x@b.example").orElseThrow().nextHop().target()).isEqualTo("/usr/bin/robot --flag \"two words\"");
        assertThat(table.lookup("x@c.example").orElseThrow().nextHop().type()).isEqualTo(NextHop.Type.MDA);
        assertThat(table.lookup("x@d.example").orElseThrow().nextHop().type()).isEqualTo(NextHop.Type.MAILDIR);
        assertThat(table.lookup("x@e.example").orElseThrow().nextHop().type()).isEqualTo(NextHop.Type.MX);
        assertThat(table.lookup("x@f.example").orElseThrow().nextHop().type()).isEqualTo(NextHop.Type.LOCAL);
        assertThat(table.lookup("x@g.example").orElseThrow().nextHop().target()).isEqualTo("5.1.1 no such domain");
        assertThat(table.lookup("x@h.example").orElseThrow().nextHop().type()).isEqualTo(NextHop.Type.DISCARD);
    }

    @Test
    void pipeAndMdaNextHopsCarryTheirArgvSplitWhenTheTableLoads() throws Exception {
        TransportTable table = load("b.example |/usr/bin/robot --flag \"two words\" 'a  b'\nc.example /usr/bin/maildrop -d USER\nd.example mx\n");

        assertThat(table.lookup("x@b.example").orElseThrow().nextHop().argv()).containsExactly("/usr/bin/robot", "--flag", "two words", "a  b");
        assertThat(table.lookup("x@c.example").orElseThrow().nextHop().argv()).containsExactly("/usr/bin/maildrop", "-d", "USER");
        assertThat(table.lookup("x@d.example").orElseThrow().nextHop().argv()).isEmpty();
    }

    @Test
    void aBrokenCommandLineIsAnErrorOfItsLine() {
        assertThatThrownBy(() -> load("ok.example |/bin/true\nx.example |/bin/prog \"unterminated\ny.example /usr/bin/mda 'open\nz.example |\"\"\n"))
            .isInstanceOf(PolicyFileException.class)
            .satisfies(e -> assertThat(((PolicyFileException) e).errors()).extracting(PolicyError::line).containsExactly(2, 3, 4))
            .hasMessageContaining("transport:2: unterminated quote (\") in '/bin/prog \"unterminated'")
            .hasMessageContaining("transport:3: unterminated quote (') in '/usr/bin/mda 'open'")
            .hasMessageContaining("transport:4: pipe next hop without a program: '\"\"'");
    }

    @Test
    void nextHopOptionsComeFirstAndKeepApartWhatTheyDistinguish() throws Exception {
        TransportTable table = load(String.join("\n",
            "a.example tls=verify relay.example:2525",
            "b.example relay.example:2525",
            "c.example user=daemon:mail |/usr/bin/robot ${recipient}",
            "d.example tls=encrypt mx", ""));

        NextHop verified = table.lookup("x@a.example").orElseThrow().nextHop();
        assertThat(verified.options().tls()).contains(TlsLevel.VERIFY);
        assertThat(verified.relayHosts()).containsExactly(new RelayHost("relay.example", 2525));
        assertThat(verified.spec()).isEqualTo("tls=verify relay.example:2525");
        NextHop plain = table.lookup("x@b.example").orElseThrow().nextHop();
        assertThat(plain.options().tls()).isEmpty();
        assertThat(verified.deliveryTarget("a.example")).isNotEqualTo(plain.deliveryTarget("b.example"));
        NextHop pipe = table.lookup("x@c.example").orElseThrow().nextHop();
        assertThat(pipe.options().user()).contains("daemon:mail");
        assertThat(pipe.argv()).containsExactly("/usr/bin/robot", "${recipient}");
        assertThat(table.lookup("x@d.example").orElseThrow().nextHop().type()).isEqualTo(NextHop.Type.MX);
    }

    @Test
    void aWrongNextHopOptionIsAnErrorOfItsLine() {
        assertThatThrownBy(() -> load(String.join("\n", "a.example tls=maybe relay.example", "b.example user=x /usr/bin/maildrop",
            "c.example colour=red relay.example", "d.example user=-x |/bin/cat", "e.example tls=none |/bin/cat",
            "f.example tls=may tls=none relay.example", "")))
            .isInstanceOf(PolicyFileException.class)
            .satisfies(e -> assertThat(((PolicyFileException) e).errors()).extracting(PolicyError::line).containsExactly(1, 2, 3, 4, 5, 6))
            .hasMessageContaining("transport:1: unknown TLS level 'maybe' (levels: none, may, encrypt, verify)")
            .hasMessageContaining("transport:2: user= is for pipe next hops")
            .hasMessageContaining("transport:3: unknown next hop option 'colour='")
            .hasMessageContaining("transport:4: user= needs a unix user name")
            .hasMessageContaining("transport:5: tls= is for SMTP and MX next hops, not pipe")
            .hasMessageContaining("transport:6: tls= given twice");
    }

    @Test
    void reportsEveryBrokenLineWithItsNumber() {
        assertThatThrownBy(() -> load("ok.example 127.0.0.1:25\nbad.example host:99999\n# fine\nonlyone\n/(unclosed/ host\n[::1 host\nx.example [::1\n"))
            .isInstanceOf(PolicyFileException.class)
            .satisfies(e -> assertThat(((PolicyFileException) e).errors())
                .extracting(PolicyError::line)
                .containsExactly(2, 4, 5, 6, 7))
            .hasMessageContaining("transport:2: port 99999 out of range")
            .hasMessageContaining("transport:4: expected 'destination next-hop'")
            .hasMessageContaining("transport:5: invalid regex");
    }

    @Test
    void rejectsBinaryInputWithoutThrowingAnythingElse() throws Exception {
        Path file = dir.resolve("transport");
        Files.write(file, new byte[] {'a', '.', 'b', ' ', (byte) 0xff, (byte) 0xfe, '\n', 0, 1, 2, '\n'});

        assertThatThrownBy(() -> TransportTable.load(file, Optional.empty()))
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("transport:1: line is not valid UTF-8 text")
            .hasMessageContaining("transport:2: line contains control characters");
    }

    @Test
    void keepsHashInsideRegex() throws Exception {
        Files.writeString(dir.resolve("transport"), "/a#b@x/ h.example # trailing comment\n", StandardCharsets.UTF_8);
        TransportTable table = TransportTable.load(dir.resolve("transport"), Optional.empty());

        assertThat(table.lookup("a#b@x.example").orElseThrow().nextHop().spec()).isEqualTo("h.example");
    }
}
