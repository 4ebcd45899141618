package org.policyrouter.hooks.core;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One SMTP connection as the checks see it, without James: the client, what it said so far,
 * qpsmtpd's notes, and the relay decision. {@code JamesConnection} adapts James's SMTPSession.
 */
public interface Connection {
    InetAddress remoteAddress();

    /** The client address as qpsmtpd's remote_ip writes it ("192.0.2.1", "2001:db8::1"). */
    default String remoteIp() {
        return IpAddresses.toText(remoteAddress());
    }

    /** Our own address on this connection. */
    InetAddress localAddress();

    Optional<String> heloHost();

    /** qpsmtpd's relay_client: allowed to relay (relayclients, James's authorizedAddresses, AUTH). */
    boolean isRelayClient();

    /** The relay decision; in James this is the session's relaying flag that its own relay check and mailets read. */
    void setRelayClient(boolean relayClient);

    Optional<String> authenticatedUser();

    Notes connectionNotes();

    /** Cleared when a transaction ends (RSET, HELO/EHLO, end of DATA), like qpsmtpd's transaction notes. */
    Notes transactionNotes();

    Optional<EnvelopeAddress> sender();

    List<EnvelopeAddress> recipients();

    /**
     * Holds the greeting for {@code wait} without blocking a thread, then asks {@code decision}
     * (given whether the client sent anything meanwhile) for a verdict: DECLINED sends the greeting,
     * a rejection replaces it and closes the connection.
     */
    void holdGreeting(Duration wait, Function<Boolean, Verdict> decision);
}
