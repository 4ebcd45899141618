package org.policyrouter.hooks.state;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis server for tests (Debian's {@code redis-server}): its own loopback port, a password,
 * no persistence, its files in a temporary directory. When the tests run as root it runs as
 * {@code nobody} through {@code setpriv}, as an operator would never run it as root. It can be
 * frozen (SIGSTOP) and thawed, stopped and started again on the same port, as a failing server is.
 */
public final class PrivateRedis implements AutoCloseable {
    private static final String SERVER = "/usr/bin/redis-server";

    private final Path directory;
    private final int port;
    private final String password;
    private final Thread cleanup = new Thread(this::close, "policyrouter-private-redis-cleanup");
    private Process process;
    private boolean frozen;

    private PrivateRedis(Path directory, int port, String password) {
        this.directory = directory;
        this.port = port;
        this.password = password;
    }

    public static PrivateRedis start() throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(SERVER))) {
            throw new IllegalStateException("Redis is not installed: no " + SERVER + "; install the Debian package redis-server (apt-get install redis-server)");
        }
        Path directory = Files.createTempDirectory(TestServers.traversableBase(), "policyrouter-redis-");
        PrivateRedis server = new PrivateRedis(directory, TestServers.freePort(), "redis-secret-" + UUID.randomUUID());
        Runtime.getRuntime().addShutdownHook(server.cleanup);
        try {
            if (TestServers.isRoot()) {
                Process chown = new ProcessBuilder("chown", "nobody:nogroup", directory.toString()).inheritIO().start();
                chown.waitFor(30, TimeUnit.SECONDS);
            }
            server.startServer();
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public String password() {
        return password;
    }

    /** Lettuce's form: {@code redis://:PASSWORD@127.0.0.1:PORT/0}. */
    public String url() {
        return "redis://:" + password + "@127.0.0.1:" + port + "/0";
    }

    public synchronized void freeze() throws IOException, InterruptedException {
        signal("-STOP");
        frozen = true;
    }

    public synchronized void thaw() throws IOException, InterruptedException {
        signal("-CONT");
        frozen = false;
    }

    public synchronized void stop() throws InterruptedException, IOException {
        if (process == null) {
            return;
        }
        if (frozen) {
            thaw();
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        process = null;
    }

    /** Started again on the same port with the same password, empty: nothing was persisted. */
    public synchronized void restart() throws IOException, InterruptedException {
        stop();
        startServer();
    }

    @Override
    public synchronized void close() {
        try {
            stop();
        } catch (IOException | InterruptedException e) {
            if (process != null) {
                process.destroyForcibly();
            }
        }
        TestServers.deleteRecursively(directory);
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // called by the hook itself
        }
    }

    private synchronized void startServer() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (TestServers.isRoot()) {
            command.addAll(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
        }
        command.addAll(List.of(SERVER, "--bind", "127.0.0.1", "--port", String.valueOf(port), "--dir", directory.toString(),
            "--save", "", "--appendonly", "no", "--requirepass", password, "--daemonize", "no",
            "--logfile", directory.resolve("redis.log").toString()));
        process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(directory.resolve("console.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server ended with " + process.exitValue() + ": " + output());
            }
            if (answersPing()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("redis-server does not answer PING on port " + port + " after 30 s: " + output());
    }

    private boolean answersPing() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write(("AUTH " + password + "\r\nPING\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[64];
            StringBuilder text = new StringBuilder();
            while (!text.toString().contains("+PONG") && text.length() < 64) {
                int read = in.read(reply);
                if (read < 0) {
                    return false;
                }
                text.append(new String(reply, 0, read, StandardCharsets.US_ASCII));
            }
            return text.toString().startsWith("+OK");
        } catch (IOException e) {
            return false;
        }
    }

    private void signal(String signal) throws IOException, InterruptedException {
        if (process != null) {
            new ProcessBuilder("kill", signal, String.valueOf(process.pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private String output() {
        StringBuilder text = new StringBuilder();
        for (String file : List.of("console.log", "redis.log")) {
            try {
                text.append(Files.readString(directory.resolve(file), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.append("(no ").append(file).append(")");
            }
        }
        return text.toString();
    }
}
