package org.policyrouter.policy;

import java.util.Objects;

/** The answer for one recipient: its next hop and the rule that chose it. */
public final class Route {
    public static final String RELAYHOST_RULE = "relayhost";
    public static final String DEFAULT_RULE = "default";

    private final NextHop nextHop;
    private final String rule;

    public Route(NextHop nextHop, String rule) {
        this.nextHop = Objects.requireNonNull(nextHop);
        this.rule = Objects.requireNonNull(rule);
    }

    public NextHop nextHop() {
        return nextHop;
    }

    /** {@code transport:12}, {@code relayhost} or {@code default}. */
    public String rule() {
        return rule;
    }

    @Override
    public String toString() {
        return nextHop + " (" + rule + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Route && ((Route) o).nextHop.equals(nextHop) && ((Route) o).rule.equals(rule);
    }

    @Override
    public int hashCode() {
        return Objects.hash(nextHop, rule);
    }
}
