package org.policyrouter.mailets;

import org.apache.james.metrics.api.MetricFactory;
import javax.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.james.core.MailAddress;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.policyrouter.policy.RoutingAttributes;

/**
 * The local delivery agent for {@code /path/to/mda args} next hops (maildrop, procmail, …): runs
 * the MDA once per recipient as that recipient's unix user, which ResolveAliases put in the
 * {@code org.policyrouter.unix-users} attribute. The user replaces {@code ${user}} in the
 * arguments; without that placeholder {@code -d USER} is appended, the convention of maildrop,
 * procmail and deliver. Never delivers to root. Same environment, exit-status rules and
 * parameters as {@link PipeDelivery}, plus {@code USER} and {@code LOGNAME}.
 */
public class MdaDelivery extends ProgramDelivery {
    @Inject
    public MdaDelivery(MetricFactory metrics) {
        super(metrics);
    }

    static final String USER_PLACEHOLDER = "${user}";
    private static final AttributeName UNIX_USERS = AttributeName.of(RoutingAttributes.UNIX_USERS);

    @Override
    List<String> argv(List<String> program, Mail mail, MailAddress recipient) {
        String user = unixUser(mail, recipient);
        List<String> argv = new ArrayList<>();
        boolean substituted = false;
        for (String word : program) {
            substituted |= word.contains(USER_PLACEHOLDER);
            argv.add(word.replace(USER_PLACEHOLDER, user));
        }
        if (!substituted) {
            argv.add("-d");
            argv.add(user);
        }
        return argv;
    }

    @Override
    Map<String, String> extraEnvironment(Mail mail, MailAddress recipient) {
        String user = unixUser(mail, recipient);
        return Map.of("USER", user, "LOGNAME", user);
    }

    private static String unixUser(Mail mail, MailAddress recipient) {
        String user = RecipientAttributes.valueFor(mail, UNIX_USERS, recipient)
            .orElseThrow(() -> new IllegalArgumentException("5.1.1 <" + recipient.asString()
                + ">: no unix user for this recipient (is ResolveAliases before MdaDelivery?)"));
        // the router spec: the MDA agent never delivers to root
        if (user.equals("root") || user.equals("0")) {
            throw new IllegalArgumentException("5.7.1 <" + recipient.asString() + ">: delivery to root refused");
        }
        if (!user.matches("[A-Za-z0-9._][A-Za-z0-9._-]{0,31}")) {
            throw new IllegalArgumentException("5.1.1 <" + recipient.asString() + ">: '" + user + "' is not a valid unix user name");
        }
        return user;
    }

    @Override
    public String getMailetInfo() {
        return "MdaDelivery: /path/to/mda next hops";
    }
}
