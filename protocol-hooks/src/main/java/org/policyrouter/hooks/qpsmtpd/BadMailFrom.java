package org.policyrouter.hooks.qpsmtpd;

import java.util.Optional;

import org.policyrouter.hooks.core.AddressList;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Rejection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code badmailfrom}: senders listed in {@code badmailfrom} (address, {@code @host},
 * or a regular expression; optional reason after white space) are refused at MAIL FROM with
 * {@code 550 5.7.1 <reason>}, by default qpsmtpd's "Your envelope sender is in my badmailfrom
 * list". The null sender and immune clients are never checked.
 *
 * <pre>
 * &lt;handler class="org.policyrouter.hooks.qpsmtpd.BadMailFrom"&gt;
 *   &lt;reject&gt;1&lt;/reject&gt;           &lt;!-- 0: log only; naughty: let Naughty reject later --&gt;
 *   &lt;rejectType&gt;perm&lt;/rejectType&gt; &lt;!-- temp, perm, disconnect, temp_disconnect --&gt;
 * &lt;/handler&gt;
 * </pre>
 */
public class BadMailFrom extends QpsmtpdHandler {
    static final String DEFAULT_REASON = "Your envelope sender is in my badmailfrom list";

    private ControlFile<AddressList> badMailFrom;
    private Rejection rejection;

    @Override
    public String pluginName() {
        return "badmailfrom";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        badMailFrom = environment.controlFiles().parsed("badmailfrom", AddressList::parse);
        rejection = Rejection.from(pluginName(), environment.options(), ReturnCode.DENY);
    }

    @Override
    public Verdict mail(Connection connection, EnvelopeAddress sender) {
        if (sender.isNullSender() || Immunity.isImmune(connection)) {
            return Verdict.DECLINED;
        }
        Optional<AddressList.Entry> listed = badMailFrom.get().firstMatch(sender);
        if (listed.isEmpty()) {
            return Verdict.DECLINED;
        }
        return rejection.reject(connection, listed.get().reason().orElse(DEFAULT_REASON), "7.1",
            sender.format() + " matches " + listed.get().pattern());
    }
}
