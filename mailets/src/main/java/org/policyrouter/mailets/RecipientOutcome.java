package org.policyrouter.mailets;

import java.util.Objects;

/** What happened to one recipient in one delivery attempt. */
public final class RecipientOutcome {
    public enum Status { DELIVERED, TEMPORARY_FAILURE, PERMANENT_FAILURE }

    private final Status status;
    private final String reply;

    private RecipientOutcome(Status status, String reply) {
        this.status = status;
        this.reply = Objects.requireNonNull(reply);
    }

    public static RecipientOutcome delivered(String reply) {
        return new RecipientOutcome(Status.DELIVERED, reply);
    }

    public static RecipientOutcome temporaryFailure(String reply) {
        return new RecipientOutcome(Status.TEMPORARY_FAILURE, reply);
    }

    public static RecipientOutcome permanentFailure(String reply) {
        return new RecipientOutcome(Status.PERMANENT_FAILURE, reply);
    }

    /** 4xx is temporary, 5xx permanent; anything else (no reply at all) counts as temporary. */
    public static RecipientOutcome fromSmtpReply(int code, String reply) {
        if (code >= 200 && code < 300) {
            return delivered(reply);
        }
        return code >= 500 && code < 600 ? permanentFailure(reply) : temporaryFailure(reply);
    }

    public Status status() {
        return status;
    }

    /** The remote reply or the local reason, as it goes into logs and DSNs. */
    public String reply() {
        return reply;
    }

    @Override
    public String toString() {
        return status + " " + reply;
    }
}
