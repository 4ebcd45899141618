package org.policyrouter.hooks.core;

import java.util.Objects;
import java.util.Optional;

/**
 * What a check answers: a qpsmtpd return code, the text the client reads, and the RFC 3463
 * subject.detail ("7.1") that goes after the class digit, because James announces
 * ENHANCEDSTATUSCODES and every reply must then carry one.
 */
public final class Verdict {
    public static final Verdict DECLINED = new Verdict(ReturnCode.DECLINED, null, null);
    public static final Verdict OK = new Verdict(ReturnCode.OK, null, null);

    private final ReturnCode code;
    private final String message;
    private final String statusDetail;
    private final Stage connectStage;

    private Verdict(ReturnCode code, String message, String statusDetail) {
        this(code, message, statusDetail, Stage.CONNECT);
    }

    private Verdict(ReturnCode code, String message, String statusDetail, Stage connectStage) {
        this.code = Objects.requireNonNull(code);
        this.message = message;
        this.statusDetail = statusDetail;
        this.connectStage = connectStage;
    }

    /**
     * The same verdict given before the connection is handed to the SMTP engine (qpsmtpd's
     * pre-connection hook, answered by the forkserver with 550/451 instead of 550/450).
     */
    public Verdict asPreConnection() {
        return code.rejects() ? new Verdict(code, message, statusDetail, Stage.PRE_CONNECTION) : this;
    }

    /** The same verdict given at connect as a server closing the channel: 421 (temporary) or 554, then closed. */
    public Verdict asClosingConnection() {
        return code.rejects() ? new Verdict(code, message, statusDetail, Stage.CLOSING) : this;
    }

    /** The stage whose reply codes answer a connect-time verdict. */
    public Stage connectStage() {
        return connectStage;
    }

    /** A rejection; {@code statusDetail} is the enhanced status without its class, e.g. {@code "7.1"}. */
    public static Verdict of(ReturnCode code, String message, String statusDetail) {
        if (code == ReturnCode.DECLINED) {
            return DECLINED;
        }
        return new Verdict(code, message, statusDetail);
    }

    public static Verdict deny(String message, String statusDetail) {
        return of(ReturnCode.DENY, message, statusDetail);
    }

    public static Verdict denySoft(String message, String statusDetail) {
        return of(ReturnCode.DENYSOFT, message, statusDetail);
    }

    public ReturnCode code() {
        return code;
    }

    public Optional<String> message() {
        return Optional.ofNullable(message);
    }

    public Optional<String> statusDetail() {
        return Optional.ofNullable(statusDetail);
    }

    public boolean isDeclined() {
        return code == ReturnCode.DECLINED;
    }

    public Verdict withCode(ReturnCode newCode) {
        return of(newCode, message, statusDetail);
    }

    @Override
    public String toString() {
        return code + (message == null ? "" : " " + message);
    }
}
