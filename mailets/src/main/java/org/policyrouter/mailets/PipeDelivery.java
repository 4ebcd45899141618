package org.policyrouter.mailets;

import java.util.List;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Mail;
import org.policyrouter.core.process.RunAs;
import org.policyrouter.core.process.UnixAccounts;
import org.policyrouter.policy.NextHop;

/**
 * The pipe delivery agent for {@code |command args} next hops: runs the command once per
 * recipient, without a shell (quotes are honoured when splitting the arguments), the message on
 * stdin, the placeholders {@code ${recipient} ${user} ${sender} ${nexthop}} expanded in its
 * arguments and {@code SENDER RECIPIENT RECIPIENTS ORIGINAL_RECIPIENT NEXTHOP QUEUE_ID} in its
 * environment. A command line with the argument {@code ${recipients}} runs once for all the
 * mail's recipients, each its own argument in place of that word (as Postfix's pipe expands
 * {@code ${recipient}} with a recipient limit above 1); {@code RECIPIENT} and
 * {@code ORIGINAL_RECIPIENT} are then empty and the exit status applies to every recipient. Exit
 * 0 delivered, 75 deferred, anything else undeliverable with its stderr; a program past the
 * timeout is killed and the recipient deferred.
 *
 * <p>Like Postfix's pipe(8), it never runs a program as root: as the next hop's
 * {@code user=NAME[:GROUP]}, else as the parameter {@code user} (default {@code nobody}), with
 * that one group (NAME's primary group unless GROUP is given). A server that does not run as root
 * runs the programs as its own user.
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=pipe" class="org.policyrouter.mailets.PipeDelivery">
 *   <timeout>300s</timeout>
 *   <lineEnding>lf</lineEnding>
 *   <user>nobody</user>
 * </mailet>
 * }</pre>
 */
public class PipeDelivery extends ProgramDelivery {
    private RunAs defaultUser;

    @Inject
    public PipeDelivery(MetricFactory metrics) {
        super(metrics);
    }

    @Override
    public void init() throws MessagingException {
        defaultUser = MailetParameters.programUser(this, "user", "nobody");
        super.init();
    }

    /** Postfix pipe(8)'s {@code ${user}}: the recipient's local part. */
    @Override
    String user(Mail mail, MailAddress recipient) {
        return recipient.getLocalPart();
    }

    @Override
    ProgramLaunch launch(Mail mail, String nextHop, Optional<MailAddress> recipient) {
        Optional<String> user = NextHop.parse(nextHop, Optional.empty()).options().user();
        if (user.isEmpty()) {
            return ProgramLaunch.as(defaultUser);
        }
        try {
            return ProgramLaunch.as(UnixAccounts.system().runAs(user.get()));
        } catch (IllegalArgumentException e) {
            // the policy refuses such a line when it loads: the account changed since
            throw new IllegalStateException("4.3.5 next hop '" + nextHop + "': " + e.getMessage());
        }
    }

    @Override
    boolean takesAllRecipients() {
        return true;
    }

    @Override
    public String getMailetInfo() {
        return "PipeDelivery: |command next hops";
    }
}
