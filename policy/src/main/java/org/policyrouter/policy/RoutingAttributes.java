package org.policyrouter.policy;

/**
 * Names of the mail attributes the router sets, shared by its mailets and matchers. Values are
 * plain strings so they survive any James mail repository or queue.
 */
public final class RoutingAttributes {
    /** The next hop as written in the policy ({@link NextHop#spec()}). */
    public static final String NEXT_HOP = "org.policyrouter.nexthop";
    /** The next hop's type label: smtp, mx, mda, pipe, queue, local, error, discard. */
    public static final String NEXT_HOP_TYPE = "org.policyrouter.nexthop.type";
    /** The rule that chose the next hop: {@code transport:12}, {@code relayhost} or {@code default}. */
    public static final String RULE = "org.policyrouter.rule";
    /** For SMTP next hops: the resolved relay hosts, {@code host:port,[v6]:port}, in policy order. */
    public static final String RELAY_HOSTS = "org.policyrouter.nexthop.hosts";
    /** Every failed delivery attempt, oldest first, as strings "time next-hop reply". */
    public static final String ERROR_LOG = "org.policyrouter.errorlog";
    /** Recipient (as routed) → the address the client gave, when rewriting changed it. */
    public static final String ORIGINAL_RECIPIENTS = "org.policyrouter.original-recipients";
    /** Recipient → unix user, set by ResolveAliases for MDA delivery. */
    public static final String UNIX_USERS = "org.policyrouter.unix-users";

    private RoutingAttributes() {
    }
}
