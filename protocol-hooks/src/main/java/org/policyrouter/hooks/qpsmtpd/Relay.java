package org.policyrouter.hooks.qpsmtpd;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.IpList;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.RelayControl;
import org.policyrouter.hooks.core.Verdict;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * qpsmtpd's {@code relay}: decides at connect whether the client may relay. norelayclients is
 * checked first and wins (it also withdraws what James's authorizedAddresses granted); then
 * relayclients (address, prefix ending in '.' or ':', CIDR) and morerelayclients (no CIDR).
 * The decision is James's own relaying flag, so James's relay check, AUTH and the mailet
 * container's SMTPIsAuthNetwork all agree with it; the {@code relayclient} connection note
 * mirrors it for other checks. The decision is taken once per connection, by whichever comes
 * first: this check's connect hook or a handler asking through {@link RelayControl} (the qmail-spp
 * handler, for RELAYCLIENT, whatever the handler order in smtpserver.xml).
 *
 * <pre>
 * &lt;handler class="org.policyrouter.hooks.qpsmtpd.Relay"&gt;
 *   &lt;only&gt;0&lt;/only&gt;   &lt;!-- 1: deny every RCPT from clients that may not relay --&gt;
 * &lt;/handler&gt;
 * </pre>
 */
public class Relay extends QpsmtpdHandler implements RelayControl {
    private static final String DECIDED = "relay.decided";
    private static final Logger LOGGER = LoggerFactory.getLogger(Relay.class);

    private ControlFile<IpList> relayClients;
    private ControlFile<IpList> moreRelayClients;
    private ControlFile<IpList> noRelayClients;
    private boolean only;

    @Override
    public String pluginName() {
        return "relay";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        relayClients = environment.controlFiles().parsed("relayclients", lines -> IpList.parse(lines, true));
        moreRelayClients = environment.controlFiles().parsed("morerelayclients", lines -> IpList.parse(lines, false));
        noRelayClients = environment.controlFiles().parsed("norelayclients", lines -> IpList.parse(lines, false));
        only = environment.options().flag("only", false);
    }

    @Override
    public Verdict connect(Connection connection) {
        decideRelay(connection);
        return Verdict.DECLINED;
    }

    @Override
    public void decideRelay(Connection connection) {
        if (connection.connectionNotes().get(DECIDED).isPresent()) {
            return;
        }
        connection.connectionNotes().put(DECIDED, true);
        if (noRelayClients.get().contains(connection.remoteAddress())) {
            LOGGER.info("relay: {} in norelayclients, relaying disabled", connection.remoteIp());
            connection.setRelayClient(false);
        } else if (relayClients.get().contains(connection.remoteAddress()) || moreRelayClients.get().contains(connection.remoteAddress())) {
            LOGGER.debug("relay: {} in relayclients", connection.remoteIp());
            connection.setRelayClient(true);
        }
        connection.connectionNotes().put(Immunity.RELAY_CLIENT, connection.isRelayClient() ? 1 : 0);
    }

    /**
     * "relay only": relay clients pass on to the next checks (qpsmtpd answers OK here; James's
     * own recipient checks should still run), everybody else is denied.
     */
    @Override
    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        if (!only || connection.isRelayClient()) {
            return Verdict.DECLINED;
        }
        return Verdict.deny("Relaying denied", "7.1");
    }
}
