package org.policyrouter.hooks.core;

/**
 * qpsmtpd's is_immune(): relay clients, hosts allow-listed by DNS (dns_whitelist_soft's
 * {@code whitelisthost} connection note) and allow-listed senders ({@code whitelistsender}
 * transaction note) skip the content checks. Immunity never grants relaying: that is the relay
 * decision alone (qpsmtpd 0.94's rcpt_ok accepts any recipient from an immune host — an open
 * relay for every allow-listed IP).
 */
public final class Immunity {
    public static final String WHITELIST_HOST = "whitelisthost";
    public static final String WHITELIST_SENDER = "whitelistsender";
    public static final String RELAY_CLIENT = "relayclient";

    private Immunity() {
    }

    public static boolean isImmune(Connection connection) {
        return connection.isRelayClient()
            || connection.connectionNotes().isTrue(WHITELIST_HOST)
            || connection.transactionNotes().isTrue(WHITELIST_SENDER);
    }
}
