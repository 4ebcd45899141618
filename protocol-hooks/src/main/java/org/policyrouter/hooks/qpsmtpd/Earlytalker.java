package org.policyrouter.hooks.qpsmtpd;

import java.time.Duration;
import java.util.Locale;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Rejection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * qpsmtpd's {@code earlytalker}: the greeting waits {@code wait} seconds (default 1) and a client
 * that sends anything meanwhile is refused — {@code 450 Connecting host started transmitting
 * before SMTP greeting} and the connection closed (reject_type perm: 550). No thread waits: the
 * greeting is held in the connection's pipeline and released by a timer. With
 * {@code defer-reject 1} the greeting goes out as usual and every MAIL FROM is refused instead.
 * Relay clients are not delayed; allow-listed hosts are delayed but never refused.
 *
 * <p>qpsmtpd 0.94's code defaults reject_type to perm while its documentation says temp; we
 * follow the documentation. {@code check-at DATA} (waiting before the 354) is not offered: it
 * would need the same hold on every DATA and the pipelined-DATA case is covered by James.
 */
public class Earlytalker extends QpsmtpdHandler {
    private static final Logger LOGGER = LoggerFactory.getLogger(Earlytalker.class);
    static final String NOTE = "earlytalker";
    static final String MESSAGE = "Connecting host started transmitting before SMTP greeting";

    private Duration wait;
    private boolean deferReject;
    private Rejection rejection;

    @Override
    public String pluginName() {
        return "earlytalker";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        wait = environment.options().duration("wait", Duration.ofSeconds(1));
        deferReject = environment.options().flag("defer-reject", false);
        rejection = Rejection.from(pluginName(), environment.options(), ReturnCode.DENYSOFT);
        for (String checkAt : environment.options().getAll("check-at")) {
            if (!checkAt.toUpperCase(Locale.ROOT).equals("CONNECT")) {
                LOGGER.warn("earlytalker: check-at {} is not supported, checking at CONNECT only", checkAt);
            }
        }
    }

    @Override
    public Verdict connect(Connection connection) {
        if (connection.isRelayClient()) {
            return Verdict.DECLINED;
        }
        holdGreeting(connection, wait, talkedEarly -> decide(connection, talkedEarly));
        return Verdict.DECLINED;
    }

    private Verdict decide(Connection connection, boolean talkedEarly) {
        if (!talkedEarly || Immunity.isImmune(connection)) {
            return Verdict.DECLINED;
        }
        connection.connectionNotes().put(NOTE, 1);
        if (deferReject) {
            LOGGER.info("earlytalker: {} talked early, refusing its MAIL commands", connection.remoteIp());
            return Verdict.DECLINED;
        }
        return rejection.reject(connection, MESSAGE, "7.1", "remote started talking before we said hello");
    }

    @Override
    public Verdict mail(Connection connection, EnvelopeAddress sender) {
        if (!deferReject || !connection.connectionNotes().isTrue(NOTE)) {
            return Verdict.DECLINED;
        }
        return rejection.reject(connection, MESSAGE, "7.1", "remote started talking before we said hello");
    }
}
