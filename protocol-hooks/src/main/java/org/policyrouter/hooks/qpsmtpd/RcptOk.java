package org.policyrouter.hooks.qpsmtpd;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.policyrouter.core.LogText;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.ControlLine;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.RelayControl;
import org.policyrouter.hooks.core.Verdict;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * qpsmtpd's {@code rcpt_ok}, i.e. qmail's rcpthosts: which recipient domains we take mail for from
 * clients that may not relay. {@code rcpthosts} lines are a host, or {@code .domain} for every
 * subdomain; {@code morercpthosts} and {@code me} are exact hosts. This is relay control, the one
 * check that may accept:
 * <ul>
 * <li>relay clients (relay/relayclients, authorizedAddresses, AUTH): DECLINED, James accepts;</li>
 * <li>a domain James hosts itself: DECLINED, so James still checks that the user exists;</li>
 * <li>a domain listed in rcpthosts/morercpthosts/me: OK (we are its MX or backup MX);</li>
 * <li>anything else: 550 5.7.1 Relaying denied.</li>
 * </ul>
 * The same lists give the qmail-spp plugins SMTPRCPTHOSTSOK ({@link RelayControl#isRcptHost}).
 * Unlike qpsmtpd 0.94, an allow-listed host (whitelisthost) is not a relay client. Put it after
 * the other recipient checks: OK ends the RCPT checks.
 */
public class RcptOk extends QpsmtpdHandler implements RelayControl {
    private static final Logger LOGGER = LoggerFactory.getLogger(RcptOk.class);

    private ControlFile<Hosts> rcptHosts;
    private ControlFile<Hosts> moreRcptHosts;
    private ControlFile<Hosts> me;
    private CheckEnvironment environment;

    @Override
    public String pluginName() {
        return "rcpt_ok";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        this.environment = environment;
        rcptHosts = environment.controlFiles().parsed("rcpthosts", Hosts::parse);
        moreRcptHosts = environment.controlFiles().parsed("morercpthosts", Hosts::parse);
        me = environment.controlFiles().parsed("me", Hosts::parse);
    }

    @Override
    protected boolean mayAccept() {
        return true;
    }

    @Override
    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        Optional<String> domain = recipient.domain();
        if (connection.isRelayClient() || domain.isEmpty() || environment.isLocalDomain(domain.get())) {
            // relay clients and James's own domains are James's to check; a bare <postmaster> has
            // already become postmaster@ James's default domain
            LOGGER.debug("rcpt_ok: {} from {} left to James", LogText.escape(recipient), connection.remoteIp());
            return Verdict.DECLINED;
        }
        if (isRcptHost(domain.get())) {
            LOGGER.debug("rcpt_ok: {} in rcpthosts", LogText.escape(recipient));
            return Verdict.OK;
        }
        LOGGER.info("rcpt_ok: relaying to {} denied for {}", LogText.escape(recipient), connection.remoteIp());
        return Verdict.deny("Relaying denied", "7.1");
    }

    @Override
    public boolean isRcptHost(String domain) {
        return rcptHosts.get().contains(domain) || moreRcptHosts.get().containsExactly(domain) || me.get().containsExactly(domain);
    }

    /** Host names, exact or (leading '.') with all their subdomains. */
    static final class Hosts {
        private final Set<String> exact = new HashSet<>();
        private final List<String> suffixes = new java.util.ArrayList<>();

        static Hosts parse(List<ControlLine> lines) {
            Hosts hosts = new Hosts();
            for (ControlLine line : lines) {
                String host = line.text().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
                if (host.startsWith(".")) {
                    hosts.suffixes.add(host);
                } else {
                    hosts.exact.add(host);
                }
            }
            return hosts;
        }

        boolean contains(String domain) {
            return containsExactly(domain) || suffixes.stream().anyMatch(domain::endsWith);
        }

        boolean containsExactly(String domain) {
            return exact.contains(domain);
        }
    }
}
