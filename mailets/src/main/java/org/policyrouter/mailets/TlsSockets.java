package org.policyrouter.mailets;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The socket factory JavaMail's STARTTLS layers TLS with ({@code mail.smtp.ssl.socketFactory}).
 * JavaMail hands it the host it connected to, which for an MX host is an address looked up in
 * DNS; the name the certificate must carry is the MX host's name, so the opening thread tells it
 * through {@link #connectingTo}. At {@code verify} the JDK checks that name during the handshake
 * (endpoint identification "HTTPS": RFC 6125 rules, SAN dNSName or iPAddress), so a mismatch fails
 * the handshake itself and JavaMail's own {@code checkserveridentity}, which would check the
 * address, stays off.
 */
final class TlsSockets extends SSLSocketFactory {
    private static final ThreadLocal<String> PEER = new ThreadLocal<>();
    private static final ThreadLocal<Boolean> LAYERED = new ThreadLocal<>();

    private final SSLSocketFactory delegate;
    private final boolean checkName;

    TlsSockets(SSLSocketFactory delegate, boolean checkName) {
        this.delegate = delegate;
        this.checkName = checkName;
    }

    /** The name the peer about to be connected on this thread must prove. */
    static void connectingTo(String peerName) {
        PEER.set(peerName);
        LAYERED.remove();
    }

    /** Ends the connection attempt on this thread; whether TLS was layered on it. */
    static boolean done() {
        boolean layered = LAYERED.get() != null;
        PEER.remove();
        LAYERED.remove();
        return layered;
    }

    @Override
    public Socket createSocket(Socket plain, String host, int port, boolean autoClose) throws IOException {
        String peer = PEER.get() != null ? PEER.get() : host;
        SSLSocket socket = (SSLSocket) delegate.createSocket(plain, peer, port, autoClose);
        if (checkName) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
        }
        LAYERED.set(Boolean.TRUE);
        return socket;
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    // SMTP never opens TLS directly here (no SMTPS): only STARTTLS over JavaMail's plain socket
    @Override
    public Socket createSocket(String host, int port) {
        throw startTlsOnly();
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw startTlsOnly();
    }

    @Override
    public Socket createSocket(InetAddress host, int port) {
        throw startTlsOnly();
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw startTlsOnly();
    }

    private static UnsupportedOperationException startTlsOnly() {
        return new UnsupportedOperationException("STARTTLS only");
    }
}
