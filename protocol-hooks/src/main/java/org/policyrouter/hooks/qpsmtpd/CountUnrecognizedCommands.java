package org.policyrouter.hooks.qpsmtpd;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.Notes;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code count_unrecognized_commands}: the Nth unrecognized command of a connection
 * (default 4; {@code count_unrecognized_commands 4} in the plugins file, {@code <max>4</max>}
 * as a handler) gets {@code 521 5.5.1 Closing connection, N unrecognized commands. Perhaps you
 * should read RFC 2821?} and the connection is closed. Earlier ones get James's usual 500.
 */
public class CountUnrecognizedCommands extends QpsmtpdHandler {
    static final String COUNT = "unrec_cmd_count";

    private int max;

    @Override
    public String pluginName() {
        return "count_unrecognized_commands";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        String fromPlugins = environment.options().positional().isEmpty() ? null : environment.options().positional().get(0);
        max = fromPlugins != null && fromPlugins.matches("\\d+") ? Integer.parseInt(fromPlugins) : environment.options().integer("max", 4);
        if (max < 1) {
            throw environment.options().invalid("max", String.valueOf(max), "at least 1");
        }
    }

    @Override
    public Verdict unrecognized(Connection connection, String command) {
        Notes notes = connection.connectionNotes();
        int count = notes.get(COUNT).map(v -> Integer.parseInt(String.valueOf(v))).orElse(0) + 1;
        notes.put(COUNT, count);
        if (count < max) {
            return Verdict.DECLINED;
        }
        return Verdict.of(ReturnCode.DENY_DISCONNECT,
            "Closing connection, " + count + " unrecognized commands. Perhaps you should read RFC 2821?", "5.1");
    }
}
