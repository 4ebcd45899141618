package org.policyrouter.hooks.qpsmtpd;

import java.util.ArrayList;
import java.util.List;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Cidr;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ConnectionCounter;
import org.policyrouter.hooks.core.ControlFileException;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.ControlLine;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code hosts_allow}, before the greeting: at most {@code maxConnIp} simultaneous
 * connections per client address (qpsmtpd-forkserver's {@code -m}, default 5; 0 = no limit;
 * the next one gets {@code 451 too many connections from <ip>, try again later}), then the first
 * line of {@code hosts_allow} whose network contains the client decides:
 * {@code 192.168.3.4 DECLINED} lets it in, {@code 192.168.3.0/24 DENY Sorry, known spam only
 * source} refuses it with 550 (DENYSOFT: 451) and closes. IPv6 networks work too.
 */
public class HostsAllow extends QpsmtpdHandler {
    private static final String COUNTED = "hosts_allow.counted";
    private static final ConnectionCounter IN_MEMORY = new ConnectionCounter.InMemory();

    private ControlFile<List<Rule>> rules;
    private int maxConnIp;
    private ConnectionCounter counter = IN_MEMORY;

    @Override
    public String pluginName() {
        return "hosts_allow";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        rules = environment.controlFiles().parsed("hosts_allow", HostsAllow::parse);
        maxConnIp = environment.options().integer("maxConnIp", 5);
    }

    void useCounter(ConnectionCounter counter) {
        this.counter = counter;
    }

    @Override
    public Verdict connect(Connection connection) {
        if (maxConnIp > 0) {
            int open = counter.open(connection.remoteAddress());
            connection.connectionNotes().put(COUNTED, 1);
            if (open > maxConnIp) {
                return Verdict.denySoft("too many connections from " + connection.remoteIp() + ", try again later", null)
                    .asPreConnection();
            }
        }
        for (Rule rule : rules.get()) {
            if (rule.network.contains(connection.remoteAddress())) {
                return Verdict.of(rule.code, rule.message, null).asPreConnection();
            }
        }
        return Verdict.DECLINED;
    }

    @Override
    public void disconnect(Connection connection) {
        if (connection.connectionNotes().isTrue(COUNTED)) {
            connection.connectionNotes().remove(COUNTED);
            counter.close(connection.remoteAddress());
        }
    }

    private static List<Rule> parse(List<ControlLine> lines) {
        List<Rule> rules = new ArrayList<>();
        for (ControlLine line : lines) {
            String[] words = line.text().split("\\s+", 3);
            if (words.length < 2) {
                throw new ControlFileException(line, "needs an address or network and a return code");
            }
            Cidr network = Cidr.parse(words[0]).orElseThrow(() -> new ControlFileException(line, "not an address or network/mask"));
            ReturnCode code = ReturnCode.parse(words[1]).orElseThrow(() -> new ControlFileException(line, "unknown return code " + words[1]));
            rules.add(new Rule(network, code == ReturnCode.OK ? ReturnCode.DECLINED : code, words.length > 2 ? words[2] : null));
        }
        return List.copyOf(rules);
    }

    private static final class Rule {
        private final Cidr network;
        private final ReturnCode code;
        private final String message;

        Rule(Cidr network, ReturnCode code, String message) {
            this.network = network;
            this.code = code;
            this.message = message;
        }
    }
}
