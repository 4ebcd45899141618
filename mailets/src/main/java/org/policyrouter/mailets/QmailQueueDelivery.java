package org.policyrouter.mailets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.core.process.ProcessRunner;
import org.policyrouter.core.process.RunAs;
import org.policyrouter.policy.NextHop;

/**
 * The {@code queue/qmail-queue [PATH]} next hop, qpsmtpd's queue/qmail-queue plugin: runs
 * qmail-queue (or a replacement such as a scanner wrapper) once for the whole mail, the message
 * on fd 0 with LF line ends and the envelope on fd 1 ({@code Fsender\0}, {@code Trecipient\0}
 * each, {@code \0}), as qmail-queue(8) documents. Java cannot hand a child a readable fd 1, so the
 * envelope, a few hundred bytes, is written to a private temporary file that {@code /bin/sh}
 * opens on fd 1 before it execs the program. The exit status means what it means to
 * qmail-smtpd: 0 queued, 11–40 permanent, anything else temporary. Without PATH the program is
 * {@code $QMAILQUEUE} of the server's environment, else {@code /var/qmail/bin/qmail-queue}.
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=qmail-queue" class="org.policyrouter.mailets.QmailQueueDelivery">
 *   <timeout>300s</timeout>   <!-- default; then the process group is killed and the mail retried -->
 *   <user>nobody</user>       <!-- default: who runs it (never root); qmail-queue itself is setuid qmailq -->
 * </mailet>
 * }</pre>
 */
public class QmailQueueDelivery extends GenericMailet {
    /** Opens the envelope file ($1) on fd 1 and becomes the program ($0). */
    private static final String ENVELOPE_ON_FD1 = "exec \"$0\" 1<\"$1\"";

    private final MetricFactory metrics;
    private ExternalCommand command;
    private DeliveryOutcomes outcomes;
    private RunAs user;

    @Inject
    public QmailQueueDelivery(MetricFactory metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init() throws MessagingException {
        command = new ExternalCommand(new ProcessRunner("qmail-queue"), MailetParameters.duration(this, "timeout", Duration.ofSeconds(300)));
        user = MailetParameters.programUser(this, "user", "nobody");
        outcomes = DeliveryOutcomes.configuredFor(this, metrics);
    }

    @Override
    public void destroy() {
        if (command != null) {
            command.close();
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        String nextHop = RoutedNextHop.of(mail, getMailetName());
        String program = program(nextHop);
        RecipientOutcome outcome;
        Path envelope = null;
        try {
            envelope = Files.createTempFile("qmail-queue-envelope", "", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(envelope, envelope(mail));
            handTo(envelope, user);
            outcome = command.run(ProgramLaunch.as(user), program, List.of("/bin/sh", "-c", ENVELOPE_ON_FD1, program, envelope.toString()), Map.of(), stdin -> {
                UnixMessage.writeTo(mail, stdin);
                stdin.close();
            }, QmailQueueExits::outcome);
        } catch (IOException e) {
            outcome = RecipientOutcome.temporaryFailure("4.3.0 cannot write the envelope for " + program + ": " + e.getMessage());
        } finally {
            deleteQuietly(envelope);
        }
        outcomes.apply(mail, nextHop, RecipientOutcomes.of(mail.getRecipients(), outcome));
    }

    /** The rule's PATH; for a bare {@code queue/qmail-queue} {@code $QMAILQUEUE} first, as qpsmtpd. */
    private static String program(String nextHop) {
        NextHop parsed = NextHop.parse(nextHop, Optional.empty());
        boolean bare = nextHop.trim().equalsIgnoreCase("queue/qmail-queue");
        return Optional.ofNullable(bare ? System.getenv("QMAILQUEUE") : null).filter(path -> path.startsWith("/"))
            .orElse(parsed.argv().get(0));
    }

    /**
     * The envelope file is private to the user the program runs as: the shell that opens it on
     * fd 1 runs as that user. A server that is not root cannot give files away, and needs not:
     * its programs run as itself.
     */
    private static void handTo(Path envelope, RunAs user) {
        try {
            Files.setAttribute(envelope, "unix:uid", user.uid());
            Files.setAttribute(envelope, "unix:gid", user.gid());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // not root: the program runs as the server's own user, the file's owner
        }
    }

    /** qmail-queue(8): {@code F} sender, {@code T} each recipient, each ended by NUL, and one more NUL. */
    static byte[] envelope(Mail mail) {
        ByteArrayOutputStream envelope = new ByteArrayOutputStream();
        writeField(envelope, "F" + mail.getMaybeSender().asString(""));
        for (MailAddress recipient : mail.getRecipients()) {
            writeField(envelope, "T" + recipient.asString());
        }
        envelope.write(0);
        return envelope.toByteArray();
    }

    private static void writeField(ByteArrayOutputStream out, String field) {
        byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        out.write(0);
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a temporary file; the system's tmp cleaner takes it
            }
        }
    }

    @Override
    public String getMailetInfo() {
        return "QmailQueueDelivery: queue/qmail-queue next hops";
    }
}
