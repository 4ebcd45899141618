package org.policyrouter.mailets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.policyrouter.policy.NextHop;
import org.policyrouter.policy.PolicyTables;
import org.policyrouter.policy.Route;
import org.policyrouter.policy.RoutingAttributes;
import org.policyrouter.spool.MailCopies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives every recipient a next hop from the policy tables (relayhost, transport, default MX)
 * and sends one mail per next hop, carrying the next hop in attributes, to the routed
 * processor, where matchers such as {@code NextHopIs} dispatch it to a delivery agent. A mail
 * split into several next-hop groups becomes {@code <name>.1} (the mail itself, first group),
 * {@code <name>.2} … so the queue ID stays a prefix of every part; one group keeps its name.
 *
 * <pre>{@code
 * <mailet match="All" class="org.policyrouter.mailets.RoutePolicy">
 *   <policyDirectory>file://conf/policy</policyDirectory>   <!-- default -->
 *   <routedProcessor>routed</routedProcessor>               <!-- default -->
 *   <me>example.com</me>            <!-- appended to relay host names without a dot; default: postmaster's domain -->
 *   <reloadInterval>5s</reloadInterval>                     <!-- default; 0 = no hot reload -->
 * </mailet>
 * }</pre>
 */
public class RoutePolicy extends PolicyMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(RoutePolicy.class);

    private static final AttributeName COMMAND = AttributeName.of(RoutingAttributes.COMMAND);

    private String routedProcessor;

    @Inject
    public RoutePolicy(FileSystem fileSystem, PolicyDirectories directories) {
        super(fileSystem, directories);
    }

    /** With tables of its own (tests). */
    public RoutePolicy(FileSystem fileSystem) {
        this(fileSystem, new PolicyDirectories());
    }

    @Override
    void initPolicyMailet() {
        routedProcessor = getInitParameter("routedProcessor", "routed");
        LOGGER.info("RoutePolicy: {} transport rules{}", tables().transport().rules().size(),
            tables().relayHost().map(h -> ", relayhost " + h).orElse(""));
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        PolicyTables tables = tables();
        Map<Route, List<MailAddress>> groups = new LinkedHashMap<>();
        for (MailAddress recipient : mail.getRecipients()) {
            groups.computeIfAbsent(tables.resolve(recipient.asString()), r -> new ArrayList<>()).add(recipient);
        }
        if (groups.isEmpty()) {
            return;
        }
        List<Map.Entry<Route, List<MailAddress>>> entries = new ArrayList<>(groups.entrySet());
        String name = mail.getName();
        // Copies first: the original carries the first group, so it must not change before it is duplicated.
        for (int group = 2; group <= entries.size(); group++) {
            Map.Entry<Route, List<MailAddress>> entry = entries.get(group - 1);
            Mail copy = MailCopies.duplicate(mail, name + "." + group);
            try {
                label(copy, entry.getKey(), entry.getValue());
                getMailetContext().sendMail(copy, routedProcessor);
            } finally {
                // the queue keeps its own copy
                LifecycleUtil.dispose(copy);
            }
        }
        if (entries.size() > 1) {
            mail.setName(name + ".1");
        }
        Map.Entry<Route, List<MailAddress>> first = entries.get(0);
        label(mail, first.getKey(), first.getValue());
        mail.setState(routedProcessor);
    }

    private void label(Mail mail, Route route, List<MailAddress> recipients) {
        NextHop nextHop = route.nextHop();
        mail.setRecipients(recipients);
        mail.setAttribute(stringAttribute(RoutingAttributes.NEXT_HOP, nextHop.spec()));
        mail.setAttribute(stringAttribute(RoutingAttributes.NEXT_HOP_TYPE, nextHop.type().label()));
        mail.setAttribute(stringAttribute(RoutingAttributes.RULE, route.rule()));
        if (nextHop.type() == NextHop.Type.SMTP) {
            mail.setAttribute(stringAttribute(RoutingAttributes.RELAY_HOSTS, RelayHosts.format(nextHop.relayHosts())));
        }
        if (nextHop.argv().isEmpty()) {
            // a mail routed again (deferred) may have had a pipe or MDA next hop before
            mail.removeAttribute(COMMAND);
        } else {
            List<AttributeValue<?>> words = nextHop.argv().stream().<AttributeValue<?>>map(AttributeValue::of).collect(Collectors.toList());
            mail.setAttribute(new Attribute(COMMAND, AttributeValue.of(words)));
        }
        LOGGER.debug("{}: {} -> {} ({})", mail.getName(), recipients, nextHop, route.rule());
    }

    static Attribute stringAttribute(String name, String value) {
        return new Attribute(AttributeName.of(name), AttributeValue.of(value));
    }

    @Override
    public String getMailetInfo() {
        return "RoutePolicy: next hop per recipient from the policy tables";
    }
}
