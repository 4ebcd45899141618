package org.policyrouter.policy;

/** One line of {@code transport}: destination pattern, next hop, and where it was written. */
public final class TransportRule {
    private final AddressPattern destination;
    private final NextHop nextHop;
    private final String file;
    private final int line;

    public TransportRule(AddressPattern destination, NextHop nextHop, String file, int line) {
        this.destination = destination;
        this.nextHop = nextHop;
        this.file = file;
        this.line = line;
    }

    public AddressPattern destination() {
        return destination;
    }

    public NextHop nextHop() {
        return nextHop;
    }

    public int line() {
        return line;
    }

    /** {@code transport:12}: the name {@code policy-router query} and the logs give the rule. */
    public String ruleName() {
        return file + ":" + line;
    }

    @Override
    public String toString() {
        return ruleName() + " " + destination + " " + nextHop;
    }
}
