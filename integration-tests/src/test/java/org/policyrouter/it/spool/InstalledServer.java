package org.policyrouter.it.spool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.awaitility.Awaitility;
import org.policyrouter.it.JamesProcess;
import org.policyrouter.it.SmtpConversation;

/**
 * The bundled server installed in a folder and run as its own process with its start script, as an
 * operator runs it: for crashes (SIGKILL), restarts and a second instance on the same folder.
 */
public final class InstalledServer implements AutoCloseable {
    public final Path home;
    public final int smtpPort;
    public final int webAdminPort;
    private JamesProcess process;
    private String javaOptions = System.getProperty("benchmark.javaOpts");

    private InstalledServer(Path home, int smtpPort, int webAdminPort) {
        this.home = home;
        this.smtpPort = smtpPort;
        this.webAdminPort = webAdminPort;
    }

    public static InstalledServer install(Path folder, String transport) throws IOException {
        int smtpPort = JamesProcess.freePort();
        int webAdminPort = JamesProcess.freePort();
        Path home = JamesProcess.installDistribution(folder, smtpPort, webAdminPort);
        Files.writeString(home.resolve("conf/policy/transport"), transport);
        return new InstalledServer(home, smtpPort, webAdminPort);
    }

    /** Starts {@code bin/james-policy-router} and waits for SMTP and WebAdmin. */
    public JamesProcess start() throws Exception {
        process = launch();
        process.awaitBanner(smtpPort, Duration.ofSeconds(120));
        // SMTP may answer before WebAdmin listens
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> JamesProcess.isListening(webAdminPort));
        return process;
    }

    /** JAVA_OPTS for the start script, as an operator would set it (benchmarks also take -Dbenchmark.javaOpts=…). */
    public InstalledServer withJavaOptions(String options) {
        this.javaOptions = options;
        return this;
    }

    /** Another {@code bin/james-policy-router} on the same folder, not waited for. */
    public JamesProcess launch() throws IOException {
        return JamesProcess.start(home, List.of(home.resolve("bin/james-policy-router").toString()),
            javaOptions == null ? java.util.Map.of() : java.util.Map.of("JAVA_OPTS", javaOptions));
    }

    public JamesProcess process() {
        return process;
    }

    /** Its WebAdmin, with a token signed by the key the server made at its first start. */
    public WebAdmin webAdmin() {
        return new WebAdmin(webAdminPort, home);
    }

    /** The server's own log file, what an operator greps. */
    public String log() throws IOException {
        return Files.readString(home.resolve("var/log/james.log"), StandardCharsets.UTF_8);
    }

    /** The end of the server's console output, for a failure message. */
    public String tail() {
        String output = process == null ? "(not started)" : process.output();
        return output.substring(Math.max(0, output.length() - 8000));
    }

    /** True when the server answered 2xx to the end of data. */
    public boolean send(String recipient, String subject) {
        return send(List.of(recipient), "From: sender@client.example\r\nTo: " + recipient + "\r\nSubject: " + subject + "\r\n\r\n"
            + "x".repeat(70).concat("\r\n").repeat(70)) != null;
    }

    /** Sends one message to these recipients; returns the reply to the end of data when it was a 2xx, else null. */
    public String send(List<String> recipients, String message) {
        try (SmtpConversation smtp = SmtpConversation.open(smtpPort, Duration.ofSeconds(30))) {
            if (!smtp.readReply().startsWith("220") || !smtp.command("EHLO client.example").startsWith("250")
                || !smtp.command("MAIL FROM:<sender@client.example>").startsWith("250")) {
                return null;
            }
            for (String recipient : recipients) {
                if (!smtp.command("RCPT TO:<" + recipient + ">").startsWith("250")) {
                    return null;
                }
            }
            String reply = smtp.data(message);
            return reply != null && reply.startsWith("250") ? reply : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() throws Exception {
        if (process != null) {
            process.close();
        }
    }
}
