package org.policyrouter.it.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.SmtpConversation;
import org.policyrouter.it.spool.InstalledServer;

/**
 * Bundled router nodes, each a whole installation started with its own script as a separate
 * process (nothing shared through the test's JVM), configured alike: the same qpsmtpd plugins file
 * naming the same store, {@code our.example} accepted from outside clients ({@code rcpt_ok}),
 * and only 127.0.0.1 trusted, so tests connect as outside clients from 127.0.0.20 and up.
 */
final class ClusterNodes implements AutoCloseable {
    static final String DOMAIN = "our.example";
    private final Path folder;
    private final List<InstalledServer> nodes;

    private ClusterNodes(Path folder, List<InstalledServer> nodes) {
        this.folder = folder;
        this.nodes = nodes;
    }

    /** Installs and starts {@code count} nodes at once with these plugins lines. */
    static ClusterNodes start(Path folder, int count, String... plugins) throws Exception {
        List<InstalledServer> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // mail for our.example is accepted and then deferred (no next hop answers): only the SMTP replies matter here
            InstalledServer node = InstalledServer.install(folder.resolve("node-" + (char) ('a' + i)),
                DOMAIN + " 127.0.0.1:" + JamesProcess.freePort() + "\n");
            JamesProcess.replaceIn(node.home.resolve("conf/smtpserver.xml"),
                "<authorizedAddresses>127.0.0.0/8</authorizedAddresses>", "<authorizedAddresses>127.0.0.1/32</authorizedAddresses>");
            Path qpsmtpd = node.home.resolve("conf/qpsmtpd");
            Files.writeString(qpsmtpd.resolve("plugins"), String.join("\n", plugins) + "\nrcpt_ok\n", StandardCharsets.UTF_8);
            Files.writeString(qpsmtpd.resolve("rcpthosts"), DOMAIN + "\n", StandardCharsets.UTF_8);
            nodes.add(node);
        }
        ClusterNodes cluster = new ClusterNodes(folder, nodes);
        try {
            List<CompletableFuture<JamesProcess>> starts = new ArrayList<>();
            for (InstalledServer node : nodes) {
                starts.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return node.start();
                    } catch (Exception e) {
                        throw new IllegalStateException("node " + node.home + " did not start: " + e.getMessage() + "\n" + node.tail(), e);
                    }
                }));
            }
            starts.forEach(CompletableFuture::join);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    InstalledServer node(int index) {
        return nodes.get(index);
    }

    /** A connection from {@code client} to node {@code index}, its first reply not read yet. */
    SmtpConversation connect(int index, String client) throws IOException {
        return SmtpConversation.openFrom(client, nodes.get(index).smtpPort, Duration.ofSeconds(30));
    }

    /** A greeted connection after EHLO. */
    SmtpConversation greeted(int index, String client) throws IOException {
        SmtpConversation smtp = connect(index, client);
        String greeting = smtp.readReply();
        if (greeting == null || !greeting.startsWith("220 ")) {
            smtp.close();
            throw new IllegalStateException("node " + index + " greeted " + client + " with " + greeting);
        }
        smtp.command("EHLO client.example");
        return smtp;
    }

    String log(int index) throws IOException {
        return nodes.get(index).log();
    }

    /** Stops the nodes and removes their installations. */
    @Override
    public void close() throws Exception {
        for (InstalledServer node : nodes) {
            node.close();
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
