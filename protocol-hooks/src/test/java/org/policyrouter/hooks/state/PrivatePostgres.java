package org.policyrouter.hooks.state;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of a test's own: the Debian package's binaries (the newest of {@code
 * /usr/lib/postgresql/<version>/bin}), a fresh cluster in a temporary directory, a free loopback
 * port, and a real password (scram-sha-256) so the tests see what an operator's setup does. A
 * missing installation fails loudly: CI installs the package, and a skipped test would hide the
 * store's PostgreSQL behaviour. PostgreSQL refuses to run as root, so under root initdb and
 * pg_ctl run as the {@code postgres} system user (or nobody) through {@code setpriv}.
 *
 * <p>{@link #freeze()} stops the server's processes (SIGSTOP) as a hung machine would: connections
 * stay open and nothing answers, which only timeouts can end. {@link #stop()} and {@link
 * #restart()} end and start the same server, same port and data.
 */
public final class PrivatePostgres implements AutoCloseable {
    private static final String USER = "policyrouter";
    private static final long START_TIMEOUT_SECONDS = 60;

    private final Path bin;
    private final Path directory;
    private final Path data;
    private final Path log;
    private final int port;
    private final String password;
    private final List<String> runAs;
    private final Thread cleanup = new Thread(this::close, "policyrouter-private-postgres-cleanup");
    private List<String> frozen = List.of();

    private PrivatePostgres(Path bin, Path directory, int port, String password, List<String> runAs) {
        this.bin = bin;
        this.directory = directory;
        this.data = directory.resolve("data");
        this.log = directory.resolve("server.log");
        this.port = port;
        this.password = password;
        this.runAs = runAs;
    }

    /** A new cluster, started and accepting connections. */
    public static PrivatePostgres start() throws IOException, InterruptedException {
        Path bin = binaries();
        List<String> runAs = List.of();
        String owner = null;
        if (TestServers.isRoot()) {
            String[] user = unprivilegedUser();
            owner = user[0] + ":" + user[1];
            runAs = List.of("setpriv", "--reuid=" + user[0], "--regid=" + user[1], "--clear-groups");
        }
        Path directory = Files.createTempDirectory(TestServers.traversableBase(), "policyrouter-pg-");
        PrivatePostgres server = new PrivatePostgres(bin, directory, TestServers.freePort(), "pg-secret-" + UUID.randomUUID(), runAs);
        Runtime.getRuntime().addShutdownHook(server.cleanup);
        try {
            server.initialise(owner);
            server.startServer();
            return server;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public String user() {
        return USER;
    }

    public String password() {
        return password;
    }

    /** A new connection as the cluster's superuser, for a test's own SQL. */
    public Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", USER);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "30");
        return new org.postgresql.Driver().connect(jdbcUrl(), properties);
    }

    /** SIGSTOP to the postmaster first (so that it forks no new backend), then to each of its children. */
    public synchronized void freeze() throws IOException, InterruptedException {
        long postmaster = postmasterPid();
        List<String> pids = new ArrayList<>();
        pids.add(String.valueOf(postmaster));
        signal("-STOP", pids);
        pids.addAll(children(postmaster));
        signal("-STOP", pids);
        frozen = pids;
    }

    /** SIGCONT to every process {@link #freeze()} stopped. */
    public synchronized void thaw() throws IOException, InterruptedException {
        if (!frozen.isEmpty()) {
            List<String> pids = new ArrayList<>(frozen);
            frozen = List.of();
            try {
                signal("-CONT", pids);
            } catch (IOException e) {
                // a child that had exited (a zombie) before the freeze is reaped once the postmaster runs again
                List<String> remaining = pids.stream()
                        .filter(pid -> ProcessHandle.of(Long.parseLong(pid)).isPresent())
                        .collect(Collectors.toList());
                if (!remaining.isEmpty()) {
                    signal("-CONT", remaining);
                }
            }
        }
    }

    /** Stops the server (fast: open connections are ended); {@link #restart()} starts it again. */
    public void stop() throws IOException, InterruptedException {
        thaw();
        run(START_TIMEOUT_SECONDS, pg("pg_ctl"), "-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop");
    }

    /** The same server again: same port, same data. */
    public void restart() throws IOException, InterruptedException {
        startServer();
    }

    /** Stops the server and deletes its directory. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // closed by the hook itself, the JVM is ending
        }
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                stop();
            }
        } catch (IOException | RuntimeException e) {
            killPostmaster();
        } catch (InterruptedException e) {
            killPostmaster();
            Thread.currentThread().interrupt();
        }
        TestServers.deleteRecursively(directory);
    }

    private void initialise(String owner) throws IOException, InterruptedException {
        Path passwordFile = directory.resolve("password");
        Files.write(passwordFile, password.getBytes(StandardCharsets.UTF_8));
        if (owner != null) {
            runAsThisUser(30, "chown", "-R", owner, directory.toString());
        }
        run(120, pg("initdb"), "-D", data.toString(), "-U", USER, "--pwfile=" + passwordFile, "--auth=scram-sha-256",
            "-E", "UTF8", "--no-locale", "--no-sync");
        Files.delete(passwordFile);
        String settings = "\n# PrivatePostgres\n"
            + "port = " + port + "\n"
            + "listen_addresses = '127.0.0.1'\n"
            + "unix_socket_directories = '" + data + "'\n"
            + "fsync = off\n"
            + "synchronous_commit = off\n"
            + "full_page_writes = off\n"
            + "max_connections = 60\n"
            + "shared_buffers = 16MB\n";
        // appended as the server's user would: the file belongs to it
        Files.write(data.resolve("postgresql.conf"), settings.getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
    }

    private void startServer() throws IOException, InterruptedException {
        try {
            run(START_TIMEOUT_SECONDS + 10, pg("pg_ctl"), "-D", data.toString(), "-l", log.toString(), "-w", "-t",
                String.valueOf(START_TIMEOUT_SECONDS), "start");
        } catch (IOException e) {
            throw new IOException(e.getMessage() + "\nserver log:\n" + serverLog(), e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        SQLException last;
        do {
            try (Connection connection = connect()) {
                return;
            } catch (SQLException e) {
                last = e;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new IOException("PostgreSQL on port " + port + " does not accept connections after " + START_TIMEOUT_SECONDS + " s: "
            + last + "\nserver log:\n" + serverLog(), last);
    }

    private String serverLog() {
        try {
            return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "(no log at " + log + ")";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    private String pg(String program) {
        return bin.resolve(program).toString();
    }

    private long postmasterPid() throws IOException {
        List<String> lines = Files.readAllLines(data.resolve("postmaster.pid"), StandardCharsets.UTF_8);
        return Long.parseLong(lines.get(0).trim());
    }

    private static List<String> children(long pid) throws IOException, InterruptedException {
        Process pgrep = new ProcessBuilder("pgrep", "-P", String.valueOf(pid)).redirectErrorStream(true).start();
        String output = new String(pgrep.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        pgrep.waitFor(10, TimeUnit.SECONDS);
        return Arrays.stream(output.split("\\s+")).filter(word -> word.matches("[0-9]+")).collect(Collectors.toList());
    }

    private static void signal(String signal, List<String> pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", signal));
        command.addAll(pids);
        Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }

    private void killPostmaster() {
        try {
            long pid = postmasterPid();
            ProcessHandle.of(pid).ifPresent(process -> {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            });
        } catch (IOException | RuntimeException ignored) {
            // nothing left to stop
        }
    }

    /** Runs a PostgreSQL program (as the unprivileged user when root); IOException with its output when it fails. */
    private void run(long timeoutSeconds, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(runAs);
        command.addAll(Arrays.asList(arguments));
        runAsThisUser(timeoutSeconds, command.toArray(new String[0]));
    }

    /** Runs a command as this JVM's user. */
    private void runAsThisUser(long timeoutSeconds, String... arguments) throws IOException, InterruptedException {
        List<String> command = Arrays.asList(arguments);
        Path output = Files.createTempFile(directory, "command-", ".out");
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
            .redirectOutput(output.toFile()).start();
        boolean ended = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly();
        }
        String text = new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
        Files.deleteIfExists(output);
        if (!ended || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + (ended ? " exited with " + process.exitValue() : " did not end in "
                + timeoutSeconds + " s") + ":\n" + text);
        }
    }

    private static Path binaries() {
        Path root = Paths.get("/usr/lib/postgresql");
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (DirectoryStream<Path> versions = Files.newDirectoryStream(root)) {
                for (Path version : versions) {
                    if (version.getFileName().toString().matches("[0-9]+(\\.[0-9]+)?")
                        && Files.isExecutable(version.resolve("bin/initdb")) && Files.isExecutable(version.resolve("bin/pg_ctl"))) {
                        found.add(version);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + root + ": " + e, e);
            }
        }
        return found.stream()
            .max(Comparator.comparingDouble(version -> Double.parseDouble(version.getFileName().toString())))
            .map(version -> version.resolve("bin"))
            .orElseThrow(() -> new IllegalStateException("PostgreSQL is not installed: no " + root
                + "/<version>/bin/initdb; install the Debian package postgresql (apt-get install postgresql)"));
    }

    /** {@code postgres} and its group when the system has that user (the Debian package creates it), else nobody:nogroup. */
    private static String[] unprivilegedUser() throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", "-g", "postgres").redirectErrorStream(true).start();
        String gid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (id.waitFor(10, TimeUnit.SECONDS) && id.exitValue() == 0 && gid.matches("[0-9]+")) {
            return new String[] {"postgres", gid};
        }
        return new String[] {"nobody", "nogroup"};
    }
}
