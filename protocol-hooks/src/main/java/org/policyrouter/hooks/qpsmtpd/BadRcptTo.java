package org.policyrouter.hooks.qpsmtpd;

import java.util.Optional;

import org.policyrouter.hooks.core.AddressList;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code badrcptto}: recipients listed in {@code badrcptto} (same syntax as
 * badmailfrom) are refused with {@code 550 5.1.1 mail to <recipient> not accepted here}, or the
 * line's reason. qpsmtpd 0.94 drops the reason and echoes the matching entry (a regex, for
 * pattern lines) instead of the recipient; we show the recipient and honour the reason.
 * Immune clients (relay clients, allow-listed hosts) are not checked, as in qpsmtpd.
 */
public class BadRcptTo extends QpsmtpdHandler {
    private ControlFile<AddressList> badRcptTo;

    @Override
    public String pluginName() {
        return "badrcptto";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        badRcptTo = environment.controlFiles().parsed("badrcptto", AddressList::parse);
    }

    @Override
    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        if (Immunity.isImmune(connection)) {
            return Verdict.DECLINED;
        }
        Optional<AddressList.Entry> listed = badRcptTo.get().firstMatch(recipient);
        return listed.map(entry -> Verdict.deny(entry.reason().orElse("mail to " + recipient.normalized() + " not accepted here"), "1.1"))
            .orElse(Verdict.DECLINED);
    }
}
