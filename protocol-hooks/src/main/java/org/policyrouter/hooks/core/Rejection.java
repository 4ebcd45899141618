package org.policyrouter.hooks.core;

import java.util.Locale;

import org.policyrouter.core.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * qpsmtpd's get_reject/get_reject_type: the {@code reject} option (0 = only log, 1 = reject,
 * naughty = let the naughty plugin reject later) and {@code reject_type} (temp/soft, perm/hard,
 * disconnect, temp_disconnect) turn a failed check into a verdict.
 */
public final class Rejection {
    private static final Logger LOGGER = LoggerFactory.getLogger(Rejection.class);
    public static final String NAUGHTY = "naughty";
    public static final String NAUGHTY_REJECT_TYPE = "naughty_reject_type";

    private final String checkName;
    private final String reject;
    private final ReturnCode type;

    private Rejection(String checkName, String reject, ReturnCode type) {
        this.checkName = checkName;
        this.reject = reject;
        this.type = type;
    }

    public static Rejection from(String checkName, Options options, ReturnCode defaultType) {
        String reject = options.string("reject", "1").trim().toLowerCase(Locale.ROOT);
        ReturnCode type = options.get("reject_type").map(value -> parseType(options, value)).orElse(defaultType);
        return new Rejection(checkName, reject, type);
    }

    public static ReturnCode parseType(Options options, String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "temp":
            case "soft":
                return ReturnCode.DENYSOFT;
            case "perm":
            case "hard":
                return ReturnCode.DENY;
            case "disconnect":
                return ReturnCode.DENY_DISCONNECT;
            case "temp_disconnect":
                return ReturnCode.DENYSOFT_DISCONNECT;
            default:
                throw options.invalid("reject_type", value, "temp, perm, disconnect or temp_disconnect");
        }
    }

    public ReturnCode type() {
        return type;
    }

    public boolean rejects() {
        return !(reject.equals("0") || reject.isEmpty());
    }

    /** The verdict for a failed check; {@code detail} is the enhanced status subject.detail ("7.1"). */
    public Verdict reject(Connection connection, String message, String detail, String logReason) {
        return reject(connection, type, message, detail, logReason);
    }

    public Verdict reject(Connection connection, ReturnCode code, String message, String detail, String logReason) {
        String client = connection.remoteIp();
        if (!rejects()) {
            LOGGER.info("{}: fail, tolerated, {} ({})", checkName, LogText.escape(logReason), client);
            return Verdict.DECLINED;
        }
        if (reject.equals(NAUGHTY)) {
            LOGGER.info("{}: fail, NAUGHTY, {} ({})", checkName, LogText.escape(logReason), client);
            Notes notes = connection.connectionNotes();
            notes.put(NAUGHTY, notes.string(NAUGHTY).map(previous -> previous + "\r\n" + message).orElse(message));
            if (notes.get(NAUGHTY_REJECT_TYPE).isEmpty()) {
                notes.put(NAUGHTY_REJECT_TYPE, code);
            }
            return Verdict.DECLINED;
        }
        // DEBUG: the rejection itself is logged once, with its reply, by the handler (RejectLog)
        LOGGER.debug("{}: fail, {} ({})", checkName, LogText.escape(logReason), client);
        return Verdict.of(code, message, detail);
    }
}
