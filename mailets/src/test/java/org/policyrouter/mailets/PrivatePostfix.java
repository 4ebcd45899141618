package org.policyrouter.mailets;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Postfix instance of a test's own, as benchmarks/relay-load.sh starts one: its own config,
 * queue and data folders under {@code dir}, its master as a child of the test (a session leader,
 * so that stopping it stops every Postfix process it started), its log in {@code dir/maillog}.
 * The master.cf holds the services the test names and nothing else; without qmgr, whatever
 * Postfix accepts stays in {@code incoming/}, for {@link #postcat} to read. Postfix starts only
 * as root (its daemons drop to the postfix user): otherwise the test is skipped.
 */
public final class PrivatePostfix implements AutoCloseable {
    static final String POSTFIX = "/usr/sbin/postfix";
    static final String DAEMONS = "/usr/lib/postfix/sbin";

    private final Path dir;
    private final Path conf;
    private final Process master;

    /** {@code mainCf} lines come after ours (the later setting wins); {@code masterCf} lines are the whole master.cf. */
    private PrivatePostfix(Path dir, List<String> mainCf, List<String> masterCf, List<Integer> ports) throws Exception {
        this.dir = dir;
        this.conf = dir.resolve("conf");
        // the daemons run as the postfix user: they must get into the (JUnit: private) folder
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(conf);
        Files.createDirectories(dir.resolve("queue"));
        Path data = Files.createDirectories(dir.resolve("data"));
        run(List.of("chown", "postfix", data.toString()));
        List<String> main = new ArrayList<>(List.of(
            "compatibility_level = 3.6",
            "queue_directory = " + dir.resolve("queue"),
            "data_directory = " + data,
            "inet_interfaces = loopback-only",
            "inet_protocols = ipv4",
            "myhostname = qmqp.test",
            "mydestination =",
            "alias_maps =",
            "alias_database =",
            // a log file outside /var must be allowed by name
            "maillog_file = " + dir.resolve("maillog"),
            "maillog_file_prefixes = " + dir));
        main.addAll(mainCf);
        Files.write(conf.resolve("main.cf"), main);
        List<String> services = new ArrayList<>(masterCf);
        services.add("postlog unix-dgram n - n - 1 postlogd");
        Files.write(conf.resolve("master.cf"), services);
        // creates the queue's folders with their owners, and says what is wrong with the configuration
        run(List.of(POSTFIX, "-c", conf.toString(), "check"));
        this.master = new ProcessBuilder(DAEMONS + "/master", "-c", conf.toString(), "-s")
            .redirectErrorStream(true).redirectOutput(dir.resolve("master.out").toFile()).start();
        for (int port : ports) {
            awaitListening(port);
        }
    }

    /** Skips the calling test class unless Postfix can be started here. */
    public static PrivatePostfix start(Path dir, List<String> mainCf, List<String> masterCf, List<Integer> ports) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(DAEMONS, "qmqpd")), "Postfix is not installed (apt-get install postfix)");
        assumeTrue("root".equals(System.getProperty("user.name")), "Postfix's master starts only as root");
        return new PrivatePostfix(dir, mainCf, masterCf, ports);
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** postcat's output for one queued message, read whole: for small messages. */
    public String postcat(String option, String queueId) throws Exception {
        try (InputStream out = postcatStream(option, queueId)) {
            return new String(out.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** postcat's output as it comes, for a message too large to hold. */
    public InputStream postcatStream(String option, String queueId) throws IOException {
        Process postcat = new ProcessBuilder("postcat", "-c", conf.toString(), option, "-q", queueId)
            .redirectError(dir.resolve("postcat.err").toFile()).start();
        return postcat.getInputStream();
    }

    /** The IDs of the messages Postfix accepted (in {@code incoming/}, where they stay without a qmgr). */
    public List<String> incoming() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("queue/incoming"))) {
            return files.filter(Files::isRegularFile).map(file -> file.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    public String log() throws IOException {
        Path log = dir.resolve("maillog");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "(no log)";
    }

    private void awaitListening(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                if (!master.isAlive() || System.nanoTime() > deadline) {
                    close();
                    throw new IllegalStateException("Postfix did not listen on " + port + ": "
                        + Files.readString(dir.resolve("master.out")) + log());
                }
                Thread.sleep(50);
            }
        }
    }

    private static void run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
    }

    /** SIGTERM: the master stops the processes of its session, then itself. */
    @Override
    public void close() throws InterruptedException {
        master.destroy();
        if (!master.waitFor(10, TimeUnit.SECONDS)) {
            master.destroyForcibly();
        }
    }
}
