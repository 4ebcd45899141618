package org.policyrouter.mailets;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;

/**
 * The placeholders of a pipe or MDA command line, expanded in each argument as Postfix's pipe(8)
 * expands its macros: {@code ${recipient}} the recipient, {@code ${user}} its local part (the MDA:
 * the unix user the aliases gave), {@code ${sender}} the envelope sender ({@code MAILER-DAEMON} for
 * the null sender, Postfix's default, so no argument is ever empty), {@code ${nexthop}} the next
 * hop as routed. {@code ${recipients}}, a word of its own, is handled by the run for all
 * recipients. No shell is involved: an address full of quotes or spaces stays one argument.
 */
final class DeliveryPlaceholders {
    static final String ALL_RECIPIENTS = "${recipients}";
    /** Postfix pipe(8): "the null sender address expands to MAILER-DAEMON". */
    static final String NULL_SENDER = "MAILER-DAEMON";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(?:recipient|user|sender|nexthop)\\}");

    private DeliveryPlaceholders() {
    }

    /** The argv for one recipient. */
    static List<String> forRecipient(List<String> program, Mail mail, String nextHop, MailAddress recipient, String user) {
        return expand(program, Map.of("${recipient}", recipient.asString(), "${user}", user,
            "${sender}", sender(mail), "${nexthop}", nextHop));
    }

    /**
     * The argv of the one run for all recipients: each recipient its own argument where
     * {@code ${recipients}} stood.
     *
     * @throws IllegalArgumentException when the line also names a single recipient's placeholder
     */
    static List<String> forAllRecipients(List<String> program, Mail mail, String nextHop) {
        List<String> argv = new ArrayList<>();
        for (String word : program) {
            if (word.contains("${recipient}") || word.contains("${user}")) {
                throw new IllegalArgumentException("5.3.5 '" + word + "': ${recipient} and ${user} name one recipient, "
                    + "the run with ${recipients} has them all");
            }
            if (word.equals(ALL_RECIPIENTS)) {
                mail.getRecipients().forEach(recipient -> argv.add(recipient.asString()));
            } else {
                argv.add(expand(word, Map.of("${sender}", sender(mail), "${nexthop}", nextHop)));
            }
        }
        return argv;
    }

    private static String sender(Mail mail) {
        return mail.getMaybeSender().asString(NULL_SENDER);
    }

    private static List<String> expand(List<String> program, Map<String, String> values) {
        List<String> argv = new ArrayList<>();
        program.forEach(word -> argv.add(expand(word, values)));
        return argv;
    }

    /** One pass, so a value that itself looks like a placeholder (a quoted local part can) stays as it is. */
    private static String expand(String word, Map<String, String> values) {
        Matcher placeholder = PLACEHOLDER.matcher(word);
        StringBuilder expanded = new StringBuilder();
        while (placeholder.find()) {
            String value = values.getOrDefault(placeholder.group(), placeholder.group());
            placeholder.appendReplacement(expanded, Matcher.quoteReplacement(value));
        }
        placeholder.appendTail(expanded);
        return expanded.toString();
    }
}
