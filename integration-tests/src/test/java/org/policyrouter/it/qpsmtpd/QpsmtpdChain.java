package org.policyrouter.it.qpsmtpd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import org.apache.james.GuiceJamesServer;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;

/**
 * The bundled James with qpsmtpd checks added in front of its handler chain, reading control
 * files from a directory the test owns (so it can edit them while James runs). Only 127.0.0.1
 * is in authorizedAddresses: a test is an outside client by connecting from another loopback
 * address (127.0.0.2 …).
 */
final class QpsmtpdChain {
    static final String INSIDE = "127.0.0.1";
    private static final String VALID_RCPT = "<handler class=\"org.policyrouter.hooks.recipients.ValidRcptOrPostmaster\"/>";
    private static final String AUTHORIZED = "<authorizedAddresses>127.0.0.0/8</authorizedAddresses>";

    private final Path configDir;

    private QpsmtpdChain(Path configDir) {
        this.configDir = configDir;
    }

    static QpsmtpdChain withControlDirectory() {
        try {
            return new QpsmtpdChain(Files.createTempDirectory("qpsmtpd-config"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path configDir() {
        return configDir;
    }

    /** A {@code <handler>} for one of our checks, reading this test's control files. */
    String handler(String simpleClassName, String options) {
        return "<handler class=\"org.policyrouter.hooks.qpsmtpd." + simpleClassName + "\">"
            + "<configDir>" + configDir + "</configDir><fallbackDir>none</fallbackDir>" + options + "</handler>\n";
    }

    String handler(String simpleClassName) {
        return handler(simpleClassName, "");
    }

    /** The bundled server with these handlers first in its chain and 127.0.0.1 as the only trusted client. */
    PolicyRouterJames.Builder jamesTrusting(String authorizedAddresses, String... handlers) {
        String chain = String.join("", handlers);
        return PolicyRouterJames.builder()
            .editConf("smtpserver.xml", xml -> xml
                .replace(AUTHORIZED, "<authorizedAddresses>" + authorizedAddresses + "</authorizedAddresses>")
                .replace(VALID_RCPT, chain + VALID_RCPT));
    }

    PolicyRouterJames.Builder james(String... handlers) {
        return jamesTrusting(INSIDE + "/32", handlers);
    }

    /** Replaces a control file in one step, as an operator's editor or rsync would. */
    QpsmtpdChain write(String name, String... lines) {
        try {
            Path target = configDir.resolve(name);
            Files.createDirectories(target.getParent());
            Path temporary = Files.createTempFile(configDir, ".edit", ".tmp");
            Files.writeString(temporary, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An SMTP client at {@code clientAddress}, greeting already read and asserted 220. */
    static SmtpConversation client(GuiceJamesServer server, String clientAddress) throws IOException {
        SmtpConversation smtp = SmtpConversation.openFrom(clientAddress, PolicyRouterJames.smtpPort(server), Duration.ofSeconds(30));
        String greeting = smtp.readReply();
        if (greeting == null || !greeting.startsWith("220 ")) {
            smtp.close();
            throw new IllegalStateException("no greeting for " + clientAddress + ": " + greeting);
        }
        return smtp;
    }

    /** A fresh session from {@code client}: EHLO {@code helo}, then the reply to MAIL FROM. */
    static String mailFromReply(GuiceJamesServer server, String client, String helo, String sender) throws IOException {
        try (SmtpConversation smtp = client(server, client)) {
            smtp.command("EHLO " + helo);
            return smtp.command("MAIL FROM:<" + sender + ">");
        }
    }

    /** A fresh session from {@code client}: EHLO, MAIL FROM (which must pass), then the reply to RCPT TO. */
    static String rcptToReply(GuiceJamesServer server, String client, String sender, String recipient) throws IOException {
        try (SmtpConversation smtp = client(server, client)) {
            smtp.command("EHLO client.example");
            String mail = smtp.command("MAIL FROM:<" + sender + ">");
            if (mail == null || !mail.startsWith("250 ")) {
                throw new AssertionError("MAIL FROM:<" + sender + "> from " + client + " refused: " + mail);
            }
            return smtp.command("RCPT TO:<" + recipient + ">");
        }
    }

    /** A fresh session from {@code client}: "250" if EHLO passes, else the reply and whether the server hung up. */
    static String ehloReply(GuiceJamesServer server, String client, String name) throws IOException {
        try (SmtpConversation smtp = client(server, client)) {
            String reply = smtp.command("EHLO " + name);
            return reply.startsWith("250") ? "250" : reply + (smtp.isClosedByServer() ? " [closed]" : " [open]");
        }
    }
}
