package org.policyrouter.mailets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.policyrouter.policy.PolicyError;
import org.policyrouter.policy.UnknownProcessors;
import org.policyrouter.policy.PolicyTables;
import org.policyrouter.policy.Route;
import org.policyrouter.policy.RoutingAttributes;
import org.policyrouter.spool.MailCopies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives every recipient a next hop from the policy tables (relayhost, transport, default MX)
 * and sends one mail per delivery target, carrying the next hop in attributes, to the routed
 * processor: recipients whose rules name the same hosts, the same program or the same processor
 * travel together ({@link NextHop#deliveryTarget()}), MX recipients one domain to a mail. The
 * routed processor is where matchers such as {@code NextHopIs} dispatch it to a delivery agent. A mail
 * split into several groups becomes {@code <name>.1}, {@code <name>.2} …, each queued on its own
 * (so the queue ID stays a prefix of every part); one group keeps its name and goes on at once.
 *
 * <pre>{@code
 * <mailet match="All" class="org.policyrouter.mailets.RoutePolicy">
 *   <policyDirectory>file://conf/policy</policyDirectory>   <!-- default -->
 *   <routedProcessor>routed</routedProcessor>               <!-- default -->
 *   <me>example.com</me>            <!-- appended to relay host names without a dot; default: postmaster's domain -->
 *   <reloadInterval>5s</reloadInterval>                     <!-- default; 0 = no hot reload -->
 *   <!-- queue/NAME must be a built-in queue plugin or a processor of this file, or James does not start -->
 *   <mailetContainer>file://conf/mailetcontainer.xml</mailetContainer>  <!-- default -->
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
    void initPolicyMailet() throws MessagingException {
        routedProcessor = getInitParameter("routedProcessor", "routed");
        refuseUnknownProcessors();
        LOGGER.info("RoutePolicy: {} transport rules{}", tables().transport().rules().size(),
            tables().relayHost().map(h -> ", relayhost " + h).orElse(""));
    }

    /**
     * A {@code queue/NAME} rule whose processor James does not have would send every such mail to
     * the error processor: refuse to start instead, as {@code policy-router check} does. The chain
     * is read from the file James read it from; a later reload is checked by {@code check} only.
     */
    private void refuseUnknownProcessors() throws MessagingException {
        String location = getInitParameter("mailetContainer", "file://conf/mailetcontainer.xml");
        Path file;
        try {
            file = fileSystem().getFile(location).toPath();
        } catch (IOException e) {
            file = null;
        }
        if (file == null || !Files.isRegularFile(file)) {
            LOGGER.warn("RoutePolicy: no {}, so queue/NAME next hops are not checked against James's processors (parameter mailetContainer)", location);
            return;
        }
        List<PolicyError> unknown;
        try {
            unknown = UnknownProcessors.find(tables(), UnknownProcessors.processorsOf(file), file.toString());
        } catch (IOException e) {
            throw new MessagingException(getMailetName() + ": cannot read the processors of " + file + ": " + e.getMessage(), e);
        }
        if (!unknown.isEmpty()) {
            String errors = unknown.stream().map(PolicyError::toString).collect(Collectors.joining("\n"));
            LOGGER.error("invalid policy:\n{}", errors);
            throw new MessagingException("invalid policy:\n" + errors);
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        PolicyTables tables = tables();
        // one group per delivery target, not per rule: ten rules naming one host make one transaction
        Map<Object, Group> groups = new LinkedHashMap<>();
        for (MailAddress recipient : mail.getRecipients()) {
            Route route = tables.resolve(recipient.asString());
            groups.computeIfAbsent(route.nextHop().deliveryTarget(recipient.getDomain().asString()), target -> new Group(route.nextHop()))
                .add(route, recipient);
        }
        if (groups.isEmpty()) {
            return;
        }
        List<Group> entries = new ArrayList<>(groups.values());
        if (entries.size() == 1) {
            label(mail, entries.get(0));
            mail.setState(routedProcessor);
            return;
        }
        // Every group its own mail in the queue, the original ends here: a delivery agent may hand its
        // mail back to the spool for later (a destination at its concurrency limit), and what comes
        // back must be that group alone, not the whole message to split again.
        String name = mail.getName();
        for (int group = 1; group <= entries.size(); group++) {
            Mail copy = MailCopies.duplicate(mail, name + "." + group);
            try {
                label(copy, entries.get(group - 1));
                getMailetContext().sendMail(copy, routedProcessor);
            } finally {
                // the queue keeps its own copy
                LifecycleUtil.dispose(copy);
            }
        }
        mail.setState(Mail.GHOST);
    }

    /** The recipients going to one delivery target, and the rules that sent them there. */
    private static final class Group {
        final NextHop nextHop;
        final Set<String> rules = new LinkedHashSet<>();
        final List<MailAddress> recipients = new ArrayList<>();

        Group(NextHop nextHop) {
            this.nextHop = nextHop;
        }

        void add(Route route, MailAddress recipient) {
            rules.add(route.rule());
            recipients.add(recipient);
        }
    }

    private void label(Mail mail, Group group) {
        NextHop nextHop = group.nextHop;
        List<MailAddress> recipients = group.recipients;
        mail.setRecipients(recipients);
        mail.setAttribute(stringAttribute(RoutingAttributes.NEXT_HOP, nextHop.spec()));
        mail.setAttribute(stringAttribute(RoutingAttributes.NEXT_HOP_TYPE, nextHop.type().label()));
        mail.setAttribute(stringAttribute(RoutingAttributes.RULE, String.join(",", group.rules)));
        if (!nextHop.relayHosts().isEmpty()) {
            mail.setAttribute(stringAttribute(RoutingAttributes.RELAY_HOSTS, RelayHosts.format(nextHop.relayHosts())));
        }
        if (nextHop.argv().isEmpty()) {
            // a mail routed again (deferred) may have had a pipe or MDA next hop before
            mail.removeAttribute(COMMAND);
        } else {
            List<AttributeValue<?>> words = nextHop.argv().stream().<AttributeValue<?>>map(AttributeValue::of).collect(Collectors.toList());
            mail.setAttribute(new Attribute(COMMAND, AttributeValue.of(words)));
        }
        LOGGER.debug("{}: {} -> {} ({})", mail.getName(), recipients, nextHop, group.rules);
    }

    static Attribute stringAttribute(String name, String value) {
        return new Attribute(AttributeName.of(name), AttributeValue.of(value));
    }

    @Override
    public String getMailetInfo() {
        return "RoutePolicy: next hop per recipient from the policy tables";
    }
}
