package org.policyrouter.mailets;

import org.apache.james.metrics.api.MetricFactory;
import java.util.HashMap;
import java.util.Map;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.policyrouter.policy.AliasResult;
import org.policyrouter.policy.PolicyTables;
import org.policyrouter.policy.RoutingAttributes;

/**
 * For mails bound to an MDA: maps each recipient's local part to its unix user with the
 * {@code aliases} table (attribute {@code org.policyrouter.unix-users}, recipient → user). A
 * recipient without an entry fails permanently (5.1.1), one mapped to root is refused, and
 * without an aliases table the failure is temporary (4.3.5) until the operator adds one. Other
 * names for root (any account with uid 0 or gid 0, such as {@code toor}) are refused when the
 * aliases table loads, and MdaDelivery refuses them again before it runs anything.
 *
 * <pre>{@code
 * <mailet match="org.policyrouter.matchers.NextHopIs=mda" class="org.policyrouter.mailets.ResolveAliases"/>
 * }</pre>
 * Parameters: those of every policy mailet ({@code policyDirectory}, {@code reloadInterval}),
 * {@code deferredProcessor}, {@code undeliverableProcessor}.
 */
public class ResolveAliases extends PolicyMailet {
    private static final AttributeName UNIX_USERS = AttributeName.of(RoutingAttributes.UNIX_USERS);
    private static final AttributeName NEXT_HOP = AttributeName.of(RoutingAttributes.NEXT_HOP);
    private DeliveryOutcomes outcomes;

    private final MetricFactory metrics;

    @Inject
    public ResolveAliases(FileSystem fileSystem, PolicyDirectories directories, MetricFactory metrics) {
        super(fileSystem, directories);
        this.metrics = metrics;
    }

    @Override
    void initPolicyMailet() {
        outcomes = DeliveryOutcomes.configuredFor(this, metrics);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        PolicyTables tables = tables();
        Map<String, AttributeValue<?>> users = new HashMap<>();
        RecipientOutcomes failures = new RecipientOutcomes();
        for (MailAddress recipient : mail.getRecipients()) {
            AliasResult alias = tables.alias(recipient.getLocalPart());
            if (!alias.isFound()) {
                String text = alias.status() + " <" + recipient.asString() + ">: " + alias.reason();
                failures.put(recipient, alias.isPermanentFailure() ? RecipientOutcome.permanentFailure(text) : RecipientOutcome.temporaryFailure(text));
            } else if (alias.unixUser().equals("root")) {
                failures.put(recipient, RecipientOutcome.permanentFailure("5.7.1 <" + recipient.asString() + ">: delivery to root refused ("
                    + alias.rule() + ")"));
            } else {
                users.put(recipient.asString(), AttributeValue.of(alias.unixUser()));
            }
        }
        mail.setAttribute(new Attribute(UNIX_USERS, AttributeValue.of(users)));
        String nextHop = AttributeUtils.getValueAndCastFromMail(mail, NEXT_HOP, String.class).orElse("mda");
        outcomes.reject(mail, nextHop, failures);
    }

    @Override
    public String getMailetInfo() {
        return "ResolveAliases: recipient local part → unix user for MDA delivery";
    }
}
