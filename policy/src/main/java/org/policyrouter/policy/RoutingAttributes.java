package org.policyrouter.policy;

/**
 * Names of the mail attributes the router sets, shared by its mailets and matchers. Values are
 * plain strings (or a list of them) so they survive any James mail repository or queue.
 */
public final class RoutingAttributes {
    /** The next hop as written in the policy ({@link NextHop#spec()}). */
    public static final String NEXT_HOP = "org.policyrouter.nexthop";
    /** The next hop's type label: smtp, mx, mda, pipe, queue, local, error, discard. */
    public static final String NEXT_HOP_TYPE = "org.policyrouter.nexthop.type";
    /**
     * For pipe and MDA next hops: the program and its arguments ({@link NextHop#argv()}), a list of
     * strings, so the delivery agents run what the policy split when the table loaded.
     */
    public static final String COMMAND = "org.policyrouter.nexthop.argv";
    /** The rules that chose the next hop, comma-separated: {@code transport:12}, {@code relayhost} or {@code default}. */
    public static final String RULE = "org.policyrouter.rule";
    /** For SMTP next hops: the resolved relay hosts, {@code host:port,[v6]:port}, in policy order. */
    public static final String RELAY_HOSTS = "org.policyrouter.nexthop.hosts";
    /** Every failed delivery attempt, oldest first, as strings "time next-hop reply". */
    public static final String ERROR_LOG = "org.policyrouter.errorlog";
    /** Recipient (as routed) → the address the client gave, when rewriting changed it. */
    public static final String ORIGINAL_RECIPIENTS = "org.policyrouter.original-recipients";
    /** Recipient → unix user, set by ResolveAliases for MDA delivery. */
    public static final String UNIX_USERS = "org.policyrouter.unix-users";
    /**
     * How many times the mail was handed to another processor by a {@code queue/} next hop in this
     * processing pass (an Integer); past the limit the mail is a routing loop. Postfix's hop count.
     */
    public static final String HOPS = "org.policyrouter.hops";
    /** Recipient (exact address) → the last reply of its failed delivery, for its line in the report. */
    public static final String RECIPIENT_ERRORS = "org.policyrouter.recipient-errors";
    /**
     * Set by CollectFailures on a failed mail waiting for the other parts of its message: when
     * (epoch millis) the wait ends and the report is sent for every part that failed meanwhile.
     */
    public static final String REPORT_AT = "org.policyrouter.report-at";

    private RoutingAttributes() {
    }
}
