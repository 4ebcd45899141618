package org.policyrouter.mailets;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.policyrouter.core.process.RunAs;
import org.policyrouter.core.process.UnixAccount;
import org.policyrouter.core.process.UnixAccounts;
import org.policyrouter.policy.RoutingAttributes;

/**
 * The local delivery agent for {@code /path/to/mda args} next hops (maildrop, procmail, …): runs
 * the MDA once per recipient as that recipient's unix user, which ResolveAliases put in the
 * {@code org.policyrouter.unix-users} attribute. As Postfix's local(8), the server switches to
 * the user itself (uid, primary gid, the user's groups) before exec, with {@code HOME USER
 * LOGNAME SHELL} from the account and its home as the working directory; nothing relies on the
 * MDA's own flags. The argv is the command line with its placeholders expanded, {@code ${user}}
 * being the unix user ({@code /usr/bin/maildrop -d ${user}}) and nothing appended. Never delivers
 * as root: an account with uid 0 or group 0 (root, or an alias such as toor) is refused. Same
 * environment, exit-status rules and parameters as {@link PipeDelivery} but {@code user}.
 */
public class MdaDelivery extends ProgramDelivery {
    private static final AttributeName UNIX_USERS = AttributeName.of(RoutingAttributes.UNIX_USERS);

    @Inject
    public MdaDelivery(MetricFactory metrics) {
        super(metrics);
    }

    @Override
    String user(Mail mail, MailAddress recipient) {
        return unixUser(mail, recipient);
    }

    @Override
    ProgramLaunch launch(Mail mail, String nextHop, Optional<MailAddress> recipient) {
        MailAddress to = recipient.orElseThrow(() -> new IllegalArgumentException("5.3.5 an MDA runs per recipient"));
        String name = unixUser(mail, to);
        UnixAccount account = UnixAccounts.system().user(name)
            .orElseThrow(() -> new IllegalArgumentException("5.1.1 <" + to.asString() + ">: no unix account '" + name + "'"));
        account.privilegeProblem().ifPresent(problem -> {
            throw new IllegalArgumentException("5.7.1 <" + to.asString() + ">: delivery refused: " + problem);
        });
        Path home = Path.of(account.home());
        return new ProgramLaunch(RunAs.of(account),
            Map.of("HOME", account.home(), "USER", account.name(), "LOGNAME", account.name(), "SHELL", account.shell()),
            Optional.of(home).filter(Files::isDirectory));
    }

    private static String unixUser(Mail mail, MailAddress recipient) {
        String user = RecipientAttributes.valueFor(mail, UNIX_USERS, recipient)
            .orElseThrow(() -> new IllegalArgumentException("5.1.1 <" + recipient.asString()
                + ">: no unix user for this recipient (is ResolveAliases before MdaDelivery?)"));
        // the router spec: the MDA agent never delivers to root
        if (user.equals("root") || user.equals("0")) {
            throw new IllegalArgumentException("5.7.1 <" + recipient.asString() + ">: delivery to root refused");
        }
        if (!UnixAccounts.isValidName(user)) {
            throw new IllegalArgumentException("5.1.1 <" + recipient.asString() + ">: '" + user + "' is not a valid unix user name");
        }
        return user;
    }

    @Override
    public String getMailetInfo() {
        return "MdaDelivery: /path/to/mda next hops";
    }
}
