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
    private static final AttributeName NEXT_HOP = AttributeName.of(RoutingAttributes.NEXT_HOP);
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
        String nextHop = AttributeUtils.getValueAndCastFromMail(mail, NEXT_HOP, String.class)
            .orElseThrow(() -> new MessagingException(mail.getName() + " has no next hop: " + getMailetName() + " must follow RoutePolicy"));
        RecipientOutcomes results = new RecipientOutcomes();
        for (MailAddress recipient : mail.getRecipients()) {
            results.put(recipient, deliver(mail, nextHop, recipient));
        }
        outcomes.apply(mail, nextHop, results);
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

    private RecipientOutcome deliver(Mail mail, String nextHop, MailAddress recipient) {
        List<String> argv;
        try {
            argv = argv(program(mail, nextHop), mail, recipient);
        } catch (IllegalArgumentException e) {
            return RecipientOutcome.permanentFailure(e.getMessage());
        }
        Map<String, String> environment = new HashMap<>();
        environment.put("SENDER", mail.getMaybeSender().asString(""));
        environment.put("RECIPIENT", recipient.asString());
        environment.put("RECIPIENTS", mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(" ")));
        environment.put("ORIGINAL_RECIPIENT", originalRecipient(mail, recipient));
        environment.put("NEXTHOP", nextHop);
        environment.put("QUEUE_ID", mail.getName());
        environment.putAll(extraEnvironment(mail, recipient));
        return command.run(argv, environment, stdin -> {
            OutputStream out = unixLineEnds ? UnixLineEnds.of(stdin) : stdin;
            try {
                MessageBytes.writeTo(mail.getMessage(), out);
            } catch (MessagingException e) {
                throw new IOException(e);
            }
            out.close();
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
