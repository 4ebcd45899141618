package org.policyrouter.hooks.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.dnsservice.api.DNSService;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks' DNS resolvers are shared while handlers use them and end with the last one (James's destroy()). */
class SharedDnsLifecycleTest {
    @TempDir
    Path config;

    private CheckEnvironment environment(String... dnsOptions) {
        List<String> options = new ArrayList<>(List.of("configDir", config.toString(), "fallbackDir", "none"));
        options.addAll(List.of(dnsOptions));
        // plain paths: James's FileSystem is not asked
        return CheckEnvironment.fromJames(Options.fromPluginArguments(options, "test"), null, new SlowJamesDns(), null, new WatchedFiles());
    }

    @Test
    void theUdpResolverOfOneConfigurationIsSharedAndEndsWithItsLastHandler() throws Exception {
        try (DatagramSocket silentServer = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            String server = "127.0.0.1:" + silentServer.getLocalPort();
            CheckEnvironment first = environment("dnsServers", server, "dnsTimeout", "200ms");
            CheckEnvironment second = environment("dnsServers", server, "dnsTimeout", "200ms");

            assertThat(first.dns()).isSameAs(second.dns());
            assertThat(first.dns().query("example.com", Dns.Type.A).get().status()).isEqualTo(DnsAnswer.Status.TIMEOUT);
            assertThat(ourThreads()).contains("policyrouter-dns-udp");

            first.release();
            assertThat(ourThreads()).contains("policyrouter-dns-udp");
            second.release();

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !ourThreads().contains("policyrouter-dns-udp"));
            assertThat(CheckEnvironment.sharedResolvers()).isZero();
        }
    }

    @Test
    void jamesDnsServiceThreadsEndWithTheLastHandler() throws Exception {
        CheckEnvironment environment = environment("dnsTimeout", "200ms");
        assertThat(environment.dns().query("example.com", Dns.Type.A).get().status()).isEqualTo(DnsAnswer.Status.TIMEOUT);
        assertThat(ourThreads()).contains("policyrouter-dns");

        environment.release();

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !ourThreads().contains("policyrouter-dns"));
    }

    /** Our live threads' names, without their numbers. */
    private static Collection<String> ourThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
            .filter(name -> name.startsWith("policyrouter-dns"))
            .map(name -> name.replaceAll("-[0-9]+(-[0-9]+)?$", ""))
            .collect(Collectors.toSet());
    }

    /** James's DNSService when its server does not answer: every call blocks. */
    private static final class SlowJamesDns implements DNSService {
        private static <T> T hang() {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("no answer");
        }

        @Override
        public Collection<String> findMXRecords(String hostname) {
            return hang();
        }

        @Override
        public Collection<String> findTXTRecords(String hostname) {
            return hang();
        }

        @Override
        public Collection<InetAddress> getAllByName(String host) {
            return hang();
        }

        @Override
        public InetAddress getByName(String host) {
            return hang();
        }

        @Override
        public InetAddress getLocalHost() {
            return hang();
        }

        @Override
        public String getHostName(InetAddress addr) {
            return hang();
        }
    }
}
