package org.policyrouter.hooks.core;

/**
 * The relay decisions of the qpsmtpd checks ({@code relay}, {@code rcpt_ok}) as other handlers of
 * the same chain need them: qmail gives the qmail-spp plugins RELAYCLIENT (tcprules) and
 * SMTPRCPTHOSTSOK (rcpthosts) from the very decisions qmail-smtpd acts on. James calls its
 * connect handlers in smtpserver.xml order, so a handler listed before the checks asks them
 * through this interface instead of waiting for their hooks; each decision is still taken once
 * per connection, by the check's own code and control files.
 */
public interface RelayControl {
    /**
     * Takes the connection-time relay decision if nobody has taken it yet on this connection, and
     * applies it ({@link Connection#setRelayClient}); afterwards {@link Connection#isRelayClient}
     * is the answer, whichever handler came first.
     */
    default void decideRelay(Connection connection) {
    }

    /** qmail's rcpthosts: whether mail for this (lower-case) domain is taken from any client. */
    default boolean isRcptHost(String domain) {
        return false;
    }
}
