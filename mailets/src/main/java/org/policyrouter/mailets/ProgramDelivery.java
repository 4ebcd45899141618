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

/**
 * Delivery by running a program once per recipient with the message on stdin (the pipe and MDA
 * agents). Parameters: {@code timeout} (default 300s), {@code lineEnding} ({@code lf}, the Unix
 * convention Postfix's pipe uses, or {@code crlf} for the message exactly as received),
 * {@code deferredProcessor}, {@code undeliverableProcessor}.
 */
abstract class ProgramDelivery extends GenericMailet {
    /** In a pipe's command line, an argument of its own: replaced by every recipient, and the program run once. */
    static final String ALL_RECIPIENTS = "${recipients}";
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
        if (takesAllRecipients() && program.contains(ALL_RECIPIENTS)) {
            // one run for every recipient: its exit status is each recipient's outcome
            RecipientOutcome outcome = run(withAllRecipients(program, mail), mail, nextHop, Optional.empty());
            mail.getRecipients().forEach(recipient -> results.put(recipient, outcome));
        } else {
            for (MailAddress recipient : mail.getRecipients()) {
                results.put(recipient, deliver(program, mail, nextHop, recipient));
            }
        }
        outcomes.apply(mail, nextHop, results);
    }

    /** The argv of the one run: each recipient its own argument where {@link #ALL_RECIPIENTS} stood. */
    private static List<String> withAllRecipients(List<String> program, Mail mail) {
        List<String> argv = new ArrayList<>();
        for (String word : program) {
            if (word.equals(ALL_RECIPIENTS)) {
                mail.getRecipients().forEach(recipient -> argv.add(recipient.asString()));
            } else {
                argv.add(word);
            }
        }
        return argv;
    }

    /** Whether this agent runs a program naming {@link #ALL_RECIPIENTS} once for all of them. */
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

    private RecipientOutcome deliver(List<String> program, Mail mail, String nextHop, MailAddress recipient) {
        List<String> argv;
        try {
            argv = argv(program, mail, recipient);
        } catch (IllegalArgumentException e) {
            return RecipientOutcome.permanentFailure(e.getMessage());
        }
        return run(argv, mail, nextHop, Optional.of(recipient));
    }

    /** One run, for one recipient or (empty) for all of them. */
    private RecipientOutcome run(List<String> argv, Mail mail, String nextHop, Optional<MailAddress> recipient) {
        Map<String, String> environment = new HashMap<>();
        environment.put("SENDER", mail.getMaybeSender().asString(""));
        environment.put("RECIPIENT", recipient.map(MailAddress::asString).orElse(""));
        environment.put("RECIPIENTS", mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(" ")));
        environment.put("ORIGINAL_RECIPIENT", recipient.map(r -> originalRecipient(mail, r)).orElse(""));
        environment.put("NEXTHOP", nextHop);
        environment.put("QUEUE_ID", mail.getName());
        recipient.ifPresent(r -> environment.putAll(extraEnvironment(mail, r)));
        return command.run(argv, environment, stdin -> {
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
     * The program and its arguments for one recipient.
     *
     * @param program the next hop's argv, as the policy split it
     * @throws IllegalArgumentException when this recipient cannot be delivered (permanent)
     */
    abstract List<String> argv(List<String> program, Mail mail, MailAddress recipient);

    Map<String, String> extraEnvironment(Mail mail, MailAddress recipient) {
        return Map.of();
    }
}
