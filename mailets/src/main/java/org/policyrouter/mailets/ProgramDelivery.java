package org.policyrouter.mailets;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.core.process.ProcessRunner;
import org.policyrouter.policy.NextHop;
import org.policyrouter.policy.RoutingAttributes;
import org.policyrouter.spool.MessageBytes;
import org.policyrouter.spool.SpoolAttributes;

/**
 * Delivery by running a program once per recipient with the message on stdin (the pipe and MDA
 * agents), as an unprivileged user ({@link #launch}), its command line's placeholders expanded
 * ({@link DeliveryPlaceholders}), and in its environment {@code SENDER} (empty for the null
 * sender), {@code RECIPIENT}, {@code RECIPIENTS} (one address per line), {@code ORIGINAL_RECIPIENT},
 * {@code NEXTHOP} and {@code QUEUE_ID} (the message's queue id, as the SMTP reply named it). Parameters: {@code timeout} (default 300s), {@code lineEnding} ({@code lf}, the Unix
 * convention Postfix's pipe uses, or {@code crlf} for the message exactly as received),
 * {@code deferredProcessor}, {@code undeliverableProcessor}.
 */
abstract class ProgramDelivery extends GenericMailet {
    private static final AttributeName COMMAND = AttributeName.of(RoutingAttributes.COMMAND);
    private static final AttributeName ORIGINAL_RECIPIENTS = AttributeName.of(RoutingAttributes.ORIGINAL_RECIPIENTS);

    private final MetricFactory metrics;
    private ExternalCommand command;
    private DeliveryOutcomes outcomes;
    private boolean unixLineEnds;

    ProgramDelivery(MetricFactory metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init() throws MessagingException {
        command = new ExternalCommand(new ProcessRunner("delivery"), MailetParameters.duration(this, "timeout", Duration.ofSeconds(300)));
        outcomes = DeliveryOutcomes.configuredFor(this, metrics);
        String lineEnding = getInitParameter("lineEnding", "lf");
        if (!lineEnding.equals("lf") && !lineEnding.equals("crlf")) {
            throw new MessagingException(getMailetName() + ": parameter lineEnding must be lf or crlf, not " + lineEnding);
        }
        unixLineEnds = lineEnding.equals("lf");
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
        RecipientOutcomes results = new RecipientOutcomes();
        List<String> program;
        try {
            program = program(mail, nextHop);
        } catch (IllegalArgumentException e) {
            outcomes.apply(mail, nextHop, RecipientOutcomes.of(mail.getRecipients(), RecipientOutcome.permanentFailure(e.getMessage())));
            return;
        }
        if (takesAllRecipients() && program.contains(DeliveryPlaceholders.ALL_RECIPIENTS)) {
            // one run for every recipient: its exit status is each recipient's outcome
            RecipientOutcome outcome = deliver(mail, nextHop, Optional.empty(), () -> DeliveryPlaceholders.forAllRecipients(program, mail, nextHop));
            mail.getRecipients().forEach(recipient -> results.put(recipient, outcome));
        } else {
            for (MailAddress recipient : mail.getRecipients()) {
                results.put(recipient, deliver(mail, nextHop, Optional.of(recipient),
                    () -> DeliveryPlaceholders.forRecipient(program, mail, nextHop, recipient, user(mail, recipient))));
            }
        }
        outcomes.apply(mail, nextHop, results);
    }

    /** Whether this agent runs a program naming {@code ${recipients}} once for all of them. */
    boolean takesAllRecipients() {
        return false;
    }

    /**
     * The argv RoutePolicy took from the policy, where the command line was split when the table
     * loaded; a mail routed before that attribute existed has its next hop split by the policy now.
     *
     * @throws IllegalArgumentException when the next hop names no program
     */
    private static List<String> program(Mail mail, String nextHop) {
        Optional<Collection> words = AttributeUtils.getValueAndCastFromMail(mail, COMMAND, Collection.class);
        if (words.isEmpty()) {
            List<String> argv = NextHop.parse(nextHop, Optional.empty()).argv();
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("5.3.5 next hop '" + nextHop + "' names no program");
            }
            return argv;
        }
        List<String> argv = new ArrayList<>();
        for (Object word : words.get()) {
            argv.add(String.valueOf(((AttributeValue<?>) word).getValue()));
        }
        return argv;
    }

    /** One run, for one recipient or (empty) for all of them. */
    private RecipientOutcome deliver(Mail mail, String nextHop, Optional<MailAddress> recipient, Supplier<List<String>> argvFor) {
        List<String> argv;
        ProgramLaunch launch;
        try {
            argv = argvFor.get();
            launch = launch(mail, nextHop, recipient);
        } catch (IllegalArgumentException e) {
            return RecipientOutcome.permanentFailure(e.getMessage());
        } catch (IllegalStateException e) {
            return RecipientOutcome.temporaryFailure(e.getMessage());
        }
        Map<String, String> environment = new HashMap<>();
        environment.put("SENDER", mail.getMaybeSender().asString(""));
        environment.put("RECIPIENT", recipient.map(MailAddress::asString).orElse(""));
        // one per line: an address may hold a quoted space, never a line end (RFC 5321 4.1.2)
        environment.put("RECIPIENTS", mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining("\n")));
        environment.put("ORIGINAL_RECIPIENT", recipient.map(r -> originalRecipient(mail, r)).orElse(""));
        environment.put("NEXTHOP", nextHop);
        // the id the 250 reply named and the spool logs, not James's internal mail name
        environment.put("QUEUE_ID", SpoolAttributes.queueId(mail));
        return command.run(launch, argv, environment, stdin -> {
            if (unixLineEnds) {
                UnixMessage.writeTo(mail, stdin);
            } else {
                try {
                    MessageBytes.writeTo(mail.getMessage(), stdin);
                } catch (MessagingException e) {
                    throw new IOException(e);
                }
            }
            stdin.close();
        });
    }

    private static String originalRecipient(Mail mail, MailAddress recipient) {
        return RecipientAttributes.valueFor(mail, ORIGINAL_RECIPIENTS, recipient).orElse(recipient.asString());
    }

    /**
     * What {@code ${user}} means for this recipient.
     *
     * @throws IllegalArgumentException when this recipient cannot be delivered (permanent)
     */
    abstract String user(Mail mail, MailAddress recipient);

    /**
     * Who the program runs as for this recipient (empty: the run for all recipients), never root.
     *
     * @throws IllegalArgumentException when this recipient cannot be delivered (permanent)
     * @throws IllegalStateException    when the user cannot be looked up now (temporary)
     */
    abstract ProgramLaunch launch(Mail mail, String nextHop, Optional<MailAddress> recipient);
}
