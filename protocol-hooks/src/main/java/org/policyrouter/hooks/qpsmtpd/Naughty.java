package org.policyrouter.hooks.qpsmtpd;

import java.util.Locale;
import java.util.Set;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Rejection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code naughty}: checks configured with {@code reject naughty} only note their
 * rejection (connection note {@code naughty}); this check refuses the connection later, at the
 * stage named by its {@code reject} option (connect, mail, rcpt — the default — or data_post),
 * with the noted message and reject type. At RCPT, postmaster and abuse stay reachable.
 */
public class Naughty extends QpsmtpdHandler {
    private static final Set<String> STAGES = Set.of("connect", "mail", "rcpt", "data", "data_post");

    private String stage;

    @Override
    public String pluginName() {
        return "naughty";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        stage = environment.options().string("reject", "rcpt").toLowerCase(Locale.ROOT);
        if (!STAGES.contains(stage)) {
            throw environment.options().invalid("reject", stage, "connect, mail, rcpt or data_post");
        }
    }

    private Verdict naughty(Connection connection, String here) {
        if (!stage.equals(here) && !(here.equals("data_post") && stage.equals("data"))) {
            return Verdict.DECLINED;
        }
        return connection.connectionNotes().string(Rejection.NAUGHTY)
            .map(message -> Verdict.of(connection.connectionNotes().get(Rejection.NAUGHTY_REJECT_TYPE)
                .filter(ReturnCode.class::isInstance).map(ReturnCode.class::cast).orElse(ReturnCode.DENY), message, "7.1"))
            .orElse(Verdict.DECLINED);
    }

    @Override
    public Verdict connect(Connection connection) {
        return naughty(connection, "connect");
    }

    @Override
    public Verdict mail(Connection connection, EnvelopeAddress sender) {
        return naughty(connection, "mail");
    }

    @Override
    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        return Dnsbl.isSpecialAccount(recipient) ? Verdict.DECLINED : naughty(connection, "rcpt");
    }

    @Override
    public Verdict dataPost(Connection connection) {
        return naughty(connection, "data_post");
    }
}
