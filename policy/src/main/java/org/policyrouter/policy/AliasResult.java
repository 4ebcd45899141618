package org.policyrouter.policy;

import java.util.Objects;

/**
 * The answer of the {@code aliases} table for one local part: the unix user the MDA delivers
 * to, or why there is none, as an RFC 3463 status and a text for the bounce.
 */
public final class AliasResult {
    /** RFC 3463 "bad destination mailbox address": the seed's unknown recipient. */
    public static final String UNKNOWN_USER_STATUS = "5.1.1";
    /** RFC 3463 "system incorrectly configured": temporary, so mail waits until the operator fixes it. */
    public static final String NOT_CONFIGURED_STATUS = "4.3.5";

    private final String unixUser;
    private final String rule;
    private final String status;
    private final String reason;

    private AliasResult(String unixUser, String rule, String status, String reason) {
        this.unixUser = unixUser;
        this.rule = rule;
        this.status = status;
        this.reason = reason;
    }

    static AliasResult user(String unixUser, String rule) {
        return new AliasResult(Objects.requireNonNull(unixUser), rule, "", "");
    }

    static AliasResult unknown(String localPart) {
        return new AliasResult(null, "", UNKNOWN_USER_STATUS, "unknown user '" + localPart + "': no entry in aliases");
    }

    static AliasResult notConfigured() {
        return new AliasResult(null, "", NOT_CONFIGURED_STATUS, "no aliases table: local delivery through an MDA is not configured");
    }

    public boolean isFound() {
        return unixUser != null;
    }

    /** @throws IllegalStateException when there is no user; check {@link #isFound()} first */
    public String unixUser() {
        if (unixUser == null) {
            throw new IllegalStateException("no unix user: " + reason);
        }
        return unixUser;
    }

    /** The entry that decided, {@code aliases:3}; empty when none did. */
    public String rule() {
        return rule;
    }

    /** For a failure: {@code 5.1.1} (permanent) or {@code 4.3.5} (temporary); empty when found. */
    public String status() {
        return status;
    }

    /** For a failure: a text for the bounce or the log; empty when found. */
    public String reason() {
        return reason;
    }

    public boolean isPermanentFailure() {
        return status.startsWith("5");
    }

    @Override
    public String toString() {
        return isFound() ? unixUser + " (" + rule + ")" : status + " " + reason;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AliasResult)) {
            return false;
        }
        AliasResult other = (AliasResult) o;
        return Objects.equals(unixUser, other.unixUser) && rule.equals(other.rule) && status.equals(other.status)
            && reason.equals(other.reason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(unixUser, rule, status, reason);
    }
}
