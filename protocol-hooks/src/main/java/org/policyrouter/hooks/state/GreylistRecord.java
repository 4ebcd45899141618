package org.policyrouter.hooks.state;

/** A greylisting triplet's state: when it was last seen/accepted, how many deferrals and deliveries. */
public final class GreylistRecord {
    private final long timestampMillis;
    private final int blocked;
    private final int passed;
    private final long expiresAtMillis;

    public GreylistRecord(long timestampMillis, int blocked, int passed, long expiresAtMillis) {
        this.timestampMillis = timestampMillis;
        this.blocked = blocked;
        this.passed = passed;
        this.expiresAtMillis = expiresAtMillis;
    }

    public long timestampMillis() {
        return timestampMillis;
    }

    public int blocked() {
        return blocked;
    }

    /** Deliveries accepted; above zero means the triplet is white. */
    public int passed() {
        return passed;
    }

    public long expiresAtMillis() {
        return expiresAtMillis;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof GreylistRecord)) {
            return false;
        }
        GreylistRecord that = (GreylistRecord) other;
        return timestampMillis == that.timestampMillis && blocked == that.blocked && passed == that.passed
            && expiresAtMillis == that.expiresAtMillis;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(timestampMillis) * 31 + blocked * 17 + passed;
    }

    @Override
    public String toString() {
        return "seen=" + timestampMillis + " blocked=" + blocked + " passed=" + passed + " expires=" + expiresAtMillis;
    }
}
