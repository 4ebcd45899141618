package org.policyrouter.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.awaitility.Awaitility;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

/** A real SMTP server (GreenMail) on a free loopback port, acting as a next hop. */
public final class SmtpSink implements AutoCloseable {
    private final GreenMail greenMail;

    private SmtpSink(GreenMail greenMail) {
        this.greenMail = greenMail;
    }

    public static SmtpSink start() {
        ServerSetup setup = new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort();
        // a busy 2-core machine can take longer than GreenMail's default 2 s to start it
        setup.setServerStartupTimeout(30_000);
        GreenMail greenMail = new GreenMail(setup);
        greenMail.start();
        return new SmtpSink(greenMail);
    }

    public int port() {
        return greenMail.getSmtp().getPort();
    }

    public String hostAndPort() {
        return "127.0.0.1:" + port();
    }

    public List<MimeMessage> messages() {
        return List.of(greenMail.getReceivedMessages());
    }

    /**
     * The envelope recipients the sink delivered to, one entry per delivered copy, sorted
     * (GreenMail files each copy in the recipient's mailbox).
     */
    public List<String> envelopeRecipients() {
        List<String> recipients = new java.util.ArrayList<>();
        try {
            for (com.icegreen.greenmail.user.GreenMailUser user : greenMail.getUserManager().listUser()) {
                int copies = greenMail.getManagers().getImapHostManager().getInbox(user).getMessageCount();
                for (int i = 0; i < copies; i++) {
                    recipients.add(user.getEmail());
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        java.util.Collections.sort(recipients);
        return recipients;
    }

    public List<MimeMessage> awaitMessages(int count) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> greenMail.getReceivedMessages().length >= count);
        return messages();
    }

    public void reset() {
        try {
            greenMail.purgeEmailFromAllMailboxes();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String raw(MimeMessage message) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            message.writeTo(out);
            return out.toString(java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        greenMail.stop();
    }
}
