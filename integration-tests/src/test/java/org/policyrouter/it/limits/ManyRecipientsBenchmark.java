package org.policyrouter.it.limits;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.SmtpConversation;

/**
 * Recipient handling and header rewriting are linear: the bundled server as its own process (its
 * start script, 1 GB heap), a 50,000-recipient message (the recipient limit raised for this) and a
 * message whose To: holds 20,000 addresses (rewriteHeaders on, every address rewritten), each
 * relayed to a next hop that counts what it gets. Not part of the test suite (the name does not end
 * in Test or IT): run with
 * {@code mvn -B -o verify -pl integration-tests -am -Dtest=ManyRecipientsBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 * Prints, for each: the SMTP transaction (first RCPT to the reply to the dot) and the processing
 * (that reply to the message's arrival at the next hop: spooler, rewriting, routing, relaying).
 */
class ManyRecipientsBenchmark {
    static final int RECIPIENTS = Integer.getInteger("benchmark.recipients", 50_000);
    static final int HEADER_ADDRESSES = Integer.getInteger("benchmark.headerAddresses", 20_000);

    @TempDir
    Path tmp;
    private JamesProcess process;
    private CountingSink sink;

    @AfterEach
    void stop() throws Exception {
        if (process != null) {
            process.close();
        }
        if (sink != null) {
            sink.close();
        }
    }

    int start() throws Exception {
        sink = new CountingSink();
        int smtpPort = JamesProcess.freePort();
        Path home = JamesProcess.installDistribution(tmp.resolve("james"), smtpPort, JamesProcess.freePort());
        java.nio.file.Files.writeString(home.resolve("conf/policy/transport"), "fast.example " + sink.hostAndPort() + "\n");
        java.nio.file.Files.writeString(home.resolve("conf/policy/rewrite"), "to *.old.example fast.example\n");
        JamesProcess.replaceIn(home.resolve("conf/smtpserver.xml"), "<maxRecipients>1000</maxRecipients>", "<maxRecipients>" + (RECIPIENTS + 1) + "</maxRecipients>");
        JamesProcess.replaceIn(home.resolve("conf/mailetcontainer.xml"), "<rewriteHeaders>false</rewriteHeaders>", "<rewriteHeaders>true</rewriteHeaders>");
        String javaOptions = System.getProperty("benchmark.javaOpts");
        process = JamesProcess.start(home, List.of(home.resolve("bin/james-policy-router").toString()),
            javaOptions == null ? java.util.Map.of() : java.util.Map.of("JAVA_OPTS", javaOptions));
        process.awaitBanner(smtpPort, Duration.ofSeconds(120));
        // a first message through the whole path, so the JVM has loaded and compiled it
        send(smtpPort, List.of("warm@fast.example"), "Subject: warm-up\r\n\r\nbody\r\n");
        Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> sink.arrivals.size() == 1);
        return smtpPort;
    }

    @Test
    void fiftyThousandRecipients() throws Exception {
        int port = start();
        List<String> recipients = new java.util.ArrayList<>();
        for (int i = 0; i < RECIPIENTS; i++) {
            recipients.add("user" + i + "@fast.example");
        }
        long[] times = send(port, recipients, "From: bulk@client.example\r\nSubject: many recipients\r\n\r\nbody\r\n");
        Awaitility.await().atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofMillis(50)).until(() -> sink.arrivals.size() == 2);
        Arrival arrival = sink.arrivals.get(1);
        System.out.printf(Locale.ROOT, "%d recipients: SMTP transaction %.1f s (%.0f RCPT/s), then %.1f s to the next hop, which got %d RCPTs%n",
            RECIPIENTS, (times[1] - times[0]) / 1e9, RECIPIENTS / ((times[1] - times[0]) / 1e9), (arrival.nanos - times[1]) / 1e9, arrival.recipients);
    }

    @Test
    void twentyThousandAddressesInTo() throws Exception {
        int port = start();
        StringBuilder to = new StringBuilder("To: ");
        for (int i = 0; i < HEADER_ADDRESSES; i++) {
            to.append(i == 0 ? "" : ",\r\n ").append("jörg ").append(i).append(" <u").append(i).append("@h").append(i % 7).append(".old.example>");
        }
        long[] times = send(port, List.of("list@fast.example"), "From: bulk@client.example\r\n" + to + "\r\nSubject: long To\r\n\r\nbody\r\n");
        Awaitility.await().atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofMillis(50)).until(() -> sink.arrivals.size() == 2);
        Arrival arrival = sink.arrivals.get(1);
        long rewritten = arrival.text.split("@fast\\.example>", -1).length - 1;
        System.out.printf(Locale.ROOT, "To: with %d addresses (%d KB): SMTP transaction %.2f s, then %.1f s to the next hop; %d addresses rewritten, UTF-8 kept: %s%n",
            HEADER_ADDRESSES, to.length() / 1024, (times[1] - times[0]) / 1e9, (arrival.nanos - times[1]) / 1e9, rewritten,
            arrival.text.contains("jörg " + (HEADER_ADDRESSES - 1) + " <u"));
    }

    /** Sends one message with the recipients pipelined; returns the time of the first RCPT and of the reply to the dot. */
    static long[] send(int port, List<String> recipients, String message) throws Exception {
        try (SmtpConversation smtp = SmtpConversation.open(port, Duration.ofMinutes(10))) {
            smtp.readReply();
            smtp.command("EHLO client.example");
            smtp.command("MAIL FROM:<bulk@client.example>");
            long start = System.nanoTime();
            ExecutorService reader = Executors.newSingleThreadExecutor();
            Future<Integer> accepted = reader.submit(() -> {
                int ok = 0;
                for (int i = 0; i < recipients.size(); i++) {
                    String reply = smtp.readReply();
                    ok += reply != null && reply.startsWith("250") ? 1 : 0;
                }
                return ok;
            });
            StringBuilder batch = new StringBuilder();
            for (String recipient : recipients) {
                batch.append("RCPT TO:<").append(recipient).append(">\r\n");
                if (batch.length() > 60_000) {
                    smtp.write(batch.toString());
                    batch.setLength(0);
                }
            }
            smtp.write(batch.toString());
            if (accepted.get() != recipients.size()) {
                throw new IllegalStateException("only " + accepted.get() + " of " + recipients.size() + " recipients accepted");
            }
            reader.shutdown();
            String reply = smtp.data(message);
            long end = System.nanoTime();
            if (reply == null || !reply.startsWith("250")) {
                throw new IllegalStateException("not accepted: " + reply);
            }
            smtp.command("QUIT");
            return new long[] {start, end};
        }
    }

    static final class Arrival {
        final long nanos;
        final int recipients;
        final String text;

        Arrival(long nanos, int recipients, String text) {
            this.nanos = nanos;
            this.recipients = recipients;
            this.text = text;
        }
    }

    /** A next hop that answers everything with success and notes when each message arrived, with how many recipients. */
    static final class CountingSink implements AutoCloseable {
        final List<Arrival> arrivals = new CopyOnWriteArrayList<>();
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final ExecutorService threads = Executors.newCachedThreadPool();

        CountingSink() throws IOException {
            threads.submit(this::accept);
        }

        String hostAndPort() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        private Void accept() throws IOException {
            while (!socket.isClosed()) {
                Socket client = socket.accept();
                threads.submit(() -> serve(client));
            }
            return null;
        }

        private Void serve(Socket client) throws IOException {
            try (client; BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
                 OutputStream out = client.getOutputStream()) {
                reply(out, "220 sink ESMTP");
                int recipients = 0;
                String line;
                while ((line = in.readLine()) != null) {
                    String command = line.toUpperCase(Locale.ROOT);
                    if (command.startsWith("EHLO")) {
                        reply(out, "250-sink\r\n250-PIPELINING\r\n250 8BITMIME");
                    } else if (command.startsWith("MAIL")) {
                        recipients = 0;
                        reply(out, "250 2.1.0 OK");
                    } else if (command.startsWith("RCPT")) {
                        recipients++;
                        reply(out, "250 2.1.5 OK");
                    } else if (command.startsWith("DATA")) {
                        reply(out, "354 go ahead");
                        StringBuilder text = new StringBuilder();
                        while ((line = in.readLine()) != null && !line.equals(".")) {
                            text.append(line).append('\n');
                        }
                        arrivals.add(new Arrival(System.nanoTime(), recipients, text.toString()));
                        reply(out, "250 2.0.0 queued");
                    } else if (command.startsWith("QUIT")) {
                        reply(out, "221 2.0.0 bye");
                        return null;
                    } else {
                        reply(out, "250 2.0.0 OK");
                    }
                }
            }
            return null;
        }

        private static void reply(OutputStream out, String text) throws IOException {
            out.write((text + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            threads.shutdownNow();
        }
    }
}
