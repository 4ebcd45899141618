package org.policyrouter.hooks.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.ControlFiles;
import org.policyrouter.hooks.core.Dns;
import org.policyrouter.hooks.core.DnsAnswer;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.FakeConnection;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

class ResolvableFromhostTest {
    @TempDir
    Path config;

    /** A DNS that knows a few records and answers NXDOMAIN for the rest, noting every question. */
    private static final class TableDns implements Dns {
        private final Map<String, List<String>> records;
        final List<String> asked = new ArrayList<>();

        TableDns(Map<String, List<String>> records) {
            this.records = records;
        }

        @Override
        public CompletableFuture<DnsAnswer> query(String name, Type type) {
            asked.add(type + " " + name);
            List<String> found = records.get(type + " " + name);
            if (found != null) {
                return CompletableFuture.completedFuture(DnsAnswer.found(found, Duration.ofMinutes(5)));
            }
            boolean exists = records.keySet().stream().anyMatch(key -> key.endsWith(" " + name));
            return CompletableFuture.completedFuture(DnsAnswer.of(exists ? DnsAnswer.Status.NODATA : DnsAnswer.Status.NXDOMAIN, Duration.ofMinutes(5)));
        }

        @Override
        public Duration timeout() {
            return Duration.ofSeconds(1);
        }
    }

    private ResolvableFromhost check(TableDns dns) {
        ResolvableFromhost check = new ResolvableFromhost();
        check.configure(new CheckEnvironment(Options.empty(), new ControlFiles(config, Optional.empty(), Duration.ZERO),
            () -> dns, domain -> false, Path::of));
        return check;
    }

    @Test
    void acceptsAnIpv4AddressLiteralWithoutAskingDnsAsQpsmtpdDoes() {
        TableDns dns = new TableDns(Map.of());
        FakeConnection client = FakeConnection.from("192.0.2.7");

        assertThat(check(dns).mail(client, EnvelopeAddress.parse("a@[192.0.2.1]"))).isEqualTo(Verdict.DECLINED);
        assertThat(client.transactionNotes().string(ResolvableFromhost.NOTE)).contains("ip");
        assertThat(dns.asked).isEmpty();
    }

    @Test
    void acceptsTheLiteralAsJamesHandsItWithoutBrackets() {
        TableDns dns = new TableDns(Map.of());

        // James's MailAddress turns a@[192.0.2.1] into the domain 192.0.2.1
        assertThat(check(dns).mail(FakeConnection.from("192.0.2.7"), EnvelopeAddress.of("a", "192.0.2.1"))).isEqualTo(Verdict.DECLINED);
        assertThat(dns.asked).isEmpty();
    }

    @Test
    void acceptsAnIpv6AddressLiteral() {
        TableDns dns = new TableDns(Map.of());

        assertThat(check(dns).mail(FakeConnection.from("192.0.2.7"), EnvelopeAddress.parse("a@[IPv6:2001:db8::1]"))).isEqualTo(Verdict.DECLINED);
        assertThat(dns.asked).isEmpty();
    }

    @Test
    void stillResolvesNamesThatOnlyLookNumeric() {
        TableDns dns = new TableDns(Map.of("A 1.2.3.example", List.of("192.0.2.10")));

        assertThat(check(dns).mail(FakeConnection.from("192.0.2.7"), EnvelopeAddress.parse("a@1.2.3.example"))).isEqualTo(Verdict.DECLINED);
        assertThat(dns.asked).contains("MX 1.2.3.example", "A 1.2.3.example");
    }

    @Test
    void refusesADomainWhoseOnlyAddressIsInAnInvalidNetworkAsQpsmtpdsDocumentationSays() throws Exception {
        Files.writeString(config.resolve("invalid_resolvable_fromhost"), "127.0.0.0/8\n");
        TableDns dns = new TableDns(Map.of("A loopback.example", List.of("127.0.0.2")));

        Verdict verdict = check(dns).mail(FakeConnection.from("192.0.2.7"), EnvelopeAddress.parse("a@loopback.example"));

        assertThat(verdict.code()).isEqualTo(ReturnCode.DENYSOFT);
        assertThat(verdict.message()).contains("FQDN required in the envelope sender");
    }
}
