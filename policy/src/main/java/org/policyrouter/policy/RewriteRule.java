package org.policyrouter.policy;

/** One line of {@code rewrite}: which addresses, which domains, the new domain, and where it was written. */
public final class RewriteRule {
    private final RewriteDirection direction;
    private final AddressPattern oldDomain;
    private final String newDomain;
    private final String file;
    private final int line;

    public RewriteRule(RewriteDirection direction, AddressPattern oldDomain, String newDomain, String file, int line) {
        this.direction = direction;
        this.oldDomain = oldDomain;
        this.newDomain = newDomain;
        this.file = file;
        this.line = line;
    }

    public RewriteDirection direction() {
        return direction;
    }

    /** A domain, a {@code *.wildcard} or a {@code /regex/}, matched against the address's domain. */
    public AddressPattern oldDomain() {
        return oldDomain;
    }

    public String newDomain() {
        return newDomain;
    }

    public int line() {
        return line;
    }

    /** {@code rewrite:4}, as {@code policy-router query} and the logs name it. */
    public String ruleName() {
        return file + ":" + line;
    }

    /** {@code address} with its domain replaced; the local part is kept exactly as written. */
    String apply(String address) {
        return address.substring(0, address.lastIndexOf('@') + 1) + newDomain;
    }

    @Override
    public String toString() {
        return ruleName() + " " + direction.label() + " " + oldDomain + " " + newDomain;
    }
}
