package org.policyrouter.mailets;

import org.apache.james.metrics.api.MetricFactory;
import javax.inject.Inject;
import java.util.List;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;

/**
 * The pipe delivery agent for {@code |command args} next hops: runs the command once per
 * recipient, without a shell (quotes are honoured when splitting the arguments), the message on
 * stdin, and {@code SENDER RECIPIENT RECIPIENTS ORIGINAL_RECIPIENT NEXTHOP QUEUE_ID} in its
 * environment. A command line with the argument {@code ${recipients}} runs once for all the
 * mail's recipients, each its own argument in place of that word (as Postfix's pipe expands
 * {@code ${recipient}} with a recipient limit above 1); {@code RECIPIENT} and
 * {@code ORIGINAL_RECIPIENT} are then empty and the exit status applies to every recipient. Exit 0 delivered, 75 deferred, anything else undeliverable with its stderr;
 * a program past the timeout is killed and the recipient deferred.
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=pipe" class="org.policyrouter.mailets.PipeDelivery">
 *   <timeout>300s</timeout>
 *   <lineEnding>lf</lineEnding>
 * </mailet>
 * }</pre>
 */
public class PipeDelivery extends ProgramDelivery {
    @Inject
    public PipeDelivery(MetricFactory metrics) {
        super(metrics);
    }

    @Override
    List<String> argv(List<String> program, Mail mail, MailAddress recipient) {
        return program;
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
