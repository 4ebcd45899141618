package org.policyrouter.it.qpsmtpd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real DNS server for tests: Debian's dnsmasq (package dnsmasq-base, listed in
 * .ci/apt-packages) on 127.0.0.1 and a free unprivileged port, answering only from the records
 * it is given ({@code host-record=…}, {@code txt-record=…}, {@code mx-host=…}, {@code ptr-record=…})
 * and NXDOMAIN for everything else under the given local domains. Fails loudly when dnsmasq is
 * not installed.
 */
final class Dnsmasq implements AutoCloseable {
    private static final Path BINARY = Path.of("/usr/sbin/dnsmasq");

    private final Process process;
    private final int port;

    private Dnsmasq(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static Dnsmasq start(List<String> localDomains, String... records) {
        if (!Files.isExecutable(BINARY)) {
            throw new AssertionError("dnsmasq is not installed (" + BINARY + "): apt-get install dnsmasq-base, see .ci/apt-packages");
        }
        try {
            int port = freeUdpPort();
            Path conf = Files.createTempFile("dnsmasq", ".conf");
            StringBuilder text = new StringBuilder()
                .append("port=").append(port).append('\n')
                .append("listen-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\nno-daemon\n");
            localDomains.forEach(domain -> text.append("local=/").append(domain).append("/\n"));
            for (String record : records) {
                text.append(record).append('\n');
            }
            Files.writeString(conf, text, StandardCharsets.UTF_8);
            Process process = new ProcessBuilder(BINARY.toString(), "--conf-file=" + conf, "--pid-file=", "--log-facility=-")
                .redirectErrorStream(true)
                .redirectOutput(Files.createTempFile("dnsmasq", ".log").toFile())
                .start();
            Dnsmasq dnsmasq = new Dnsmasq(process, port);
            dnsmasq.awaitReady();
            return dnsmasq;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return socket.getLocalPort();
        }
    }

    private void awaitReady() throws IOException {
        SimpleResolver resolver = new SimpleResolver(new InetSocketAddress("127.0.0.1", port));
        resolver.setTimeout(Duration.ofMillis(200));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("dnsmasq exited with " + process.exitValue());
            }
            try {
                resolver.send(Message.newQuery(Record.newRecord(Name.fromString("ready.invalid."), Type.A, DClass.IN)));
                return;
            } catch (IOException notYet) {
                // not listening yet
            }
        }
        close();
        throw new IllegalStateException("dnsmasq did not answer on port " + port);
    }

    /** The value of a handler's {@code <dnsServers>} option. */
    String server() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
