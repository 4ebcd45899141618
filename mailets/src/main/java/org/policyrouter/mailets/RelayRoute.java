package org.policyrouter.mailets;

import java.util.Objects;

import org.policyrouter.policy.RelayHost;
import org.policyrouter.policy.TlsLevel;

/**
 * Where an SMTP connection goes and what it must be: the address and port to connect to, the
 * name the peer must prove at {@code verify} (the relay host as written, or the MX host's name
 * when the address came from DNS) and the TLS level. The connection cache is keyed by all three,
 * so a connection opened at one level (or verified for one name) never carries a mail needing
 * another.
 */
final class RelayRoute {
    final RelayHost host;
    final String peerName;
    final TlsLevel tls;

    RelayRoute(RelayHost host, String peerName, TlsLevel tls) {
        this.host = Objects.requireNonNull(host);
        this.peerName = Objects.requireNonNull(peerName);
        this.tls = Objects.requireNonNull(tls);
    }

    /** A relay host, its own name to verify. */
    static RelayRoute of(RelayHost host, TlsLevel tls) {
        return new RelayRoute(host, host.host(), tls);
    }

    /** {@code host:port}, or Postfix's {@code name[address]:port} when the address was looked up. */
    @Override
    public String toString() {
        return peerName.equals(host.host()) ? host.toString() : peerName + "[" + host.host() + "]:" + host.port();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RelayRoute)) {
            return false;
        }
        RelayRoute other = (RelayRoute) o;
        return host.equals(other.host) && peerName.equals(other.peerName) && tls == other.tls;
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, peerName, tls);
    }
}
