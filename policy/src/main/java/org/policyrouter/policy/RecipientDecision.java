package org.policyrouter.policy;

import java.util.Optional;

/** What the tables decide for one recipient: see {@link PolicyTables#decide}. */
public final class RecipientDecision {
    private final String address;
    private final String rewritten;
    private final Optional<String> rewriteRule;
    private final Optional<String> sender;
    private final Optional<String> rewrittenSender;
    private final Route route;
    private final Optional<AliasResult> alias;

    RecipientDecision(String address, String rewritten, Optional<String> rewriteRule, Optional<String> sender, Optional<String> rewrittenSender,
                      Route route, Optional<AliasResult> alias) {
        this.address = address;
        this.rewritten = rewritten;
        this.rewriteRule = rewriteRule;
        this.sender = sender;
        this.rewrittenSender = rewrittenSender;
        this.route = route;
        this.alias = alias;
    }

    /** The recipient as asked about. */
    public String address() {
        return address;
    }

    /** The recipient after {@code rewrite}: what transport matched. */
    public String rewritten() {
        return rewritten;
    }

    /** The rewrite line that changed the recipient, {@code rewrite:4}, if one did. */
    public Optional<String> rewriteRule() {
        return rewriteRule;
    }

    public Optional<String> sender() {
        return sender;
    }

    public Optional<String> rewrittenSender() {
        return rewrittenSender;
    }

    public Route route() {
        return route;
    }

    /** Present when the next hop is an MDA. */
    public Optional<AliasResult> alias() {
        return alias;
    }
}
