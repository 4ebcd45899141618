package org.policyrouter.mailets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;

import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.SendFailedException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.policy.RelayHost;
import org.policyrouter.policy.TlsLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.mail.smtp.SMTPAddressFailedException;
import com.sun.mail.smtp.SMTPSendFailedException;
import com.sun.mail.smtp.SMTPTransport;

/**
 * Delivers one message to one SMTP next hop with JavaMail (EHLO, SIZE, 8BITMIME, STARTTLS as the
 * route's TLS level says), trying the given hosts in order until one accepts a connection, and
 * reports an outcome per recipient. One JavaMail session per TLS level serves every mail
 * ({@link TlsSessions}); connections are reused through
 * {@link RelayConnections}; at most {@code recipientLimit} recipients go in one transaction
 * (Postfix's smtp_destination_recipient_limit, 50), the others in the next ones on the same
 * connection.
 *
 * <pre>{@code
 * <connectTimeout>30s</connectTimeout>
 * <commandTimeout>300s</commandTimeout>          <!-- each reply, and each write of the data -->
 * <heloName>mx.example.com</heloName>           <!-- default: this host's name -->
 * <recipientLimit>50</recipientLimit>           <!-- recipients per SMTP transaction -->
 * <connectionCacheTime>2s</connectionCacheTime> <!-- an idle connection waits this long for the next mail; 0: no reuse -->
 * <connectionReuseTime>300s</connectionReuseTime> <!-- a connection is reused for at most this long -->
 * <deadHostTime>60s</deadHostTime>              <!-- a host that did not answer is skipped this long (a flush ends it); 0: never -->
 * <tls>may</tls>                                <!-- none, may, encrypt, verify: for next hops without tls= -->
 * <tlsTrustStore>/etc/james/relay-ca.pem</tlsTrustStore>  <!-- what verify trusts; default the JDK's -->
 * <tlsTrustStorePassword>changeit</tlsTrustStorePassword> <!-- for a JKS or PKCS12 store -->
 * <tlsProtocols>TLSv1.2 TLSv1.3</tlsProtocols>  <!-- default: the JDK's enabled ones, SSLv3 never -->
 * }</pre>
 *
 * A TLS failure (STARTTLS not offered at encrypt or verify, a handshake or certificate failure)
 * moves on to the next host, as a host that does not answer does, but does not mark the host
 * dead: it answered. When every host failed, the recipients are deferred with the 4.7.x reason.
 * At {@code may} a failed handshake is retried once in plaintext, as Postfix does.
 */
public final class SmtpRelayClient implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.delivery");

    private final TlsSessions sessions;
    private final TlsSettings tls;
    private final RelayConnections connections;
    private final int recipientLimit;

    SmtpRelayClient(Duration connectTimeout, Duration commandTimeout, Optional<String> heloName, int recipientLimit,
                    Duration connectionCacheTime, Duration connectionReuseTime, Duration deadHostTime) throws MessagingException {
        this(connectTimeout, commandTimeout, heloName, recipientLimit, connectionCacheTime, connectionReuseTime, deadHostTime, TlsSettings.DEFAULT);
    }

    SmtpRelayClient(Duration connectTimeout, Duration commandTimeout, Optional<String> heloName, int recipientLimit,
                    Duration connectionCacheTime, Duration connectionReuseTime, Duration deadHostTime, TlsSettings tls) throws MessagingException {
        this.sessions = new TlsSessions(properties(connectTimeout, commandTimeout, heloName), tls);
        this.tls = tls;
        this.connections = new RelayConnections(sessions, connectionCacheTime, connectionReuseTime, commandTimeout, deadHostTime);
        this.recipientLimit = recipientLimit;
    }

    /** As the delivery mailet's parameters say (see above). */
    static SmtpRelayClient configuredFor(GenericMailet mailet) throws MessagingException {
        return new SmtpRelayClient(MailetParameters.duration(mailet, "connectTimeout", Duration.ofSeconds(30)),
            MailetParameters.duration(mailet, "commandTimeout", Duration.ofSeconds(300)), mailet.getInitParameterAsOptional("heloName"),
            MailetParameters.number(mailet, "recipientLimit", 50, 1), MailetParameters.duration(mailet, "connectionCacheTime", Duration.ofSeconds(2)),
            MailetParameters.duration(mailet, "connectionReuseTime", Duration.ofSeconds(300)),
            MailetParameters.duration(mailet, "deadHostTime", Duration.ofSeconds(60)), TlsSettings.configuredFor(mailet));
    }

    /** The level of a next hop: its rule's {@code tls=}, else the agent's {@code tls} parameter. */
    TlsLevel level(Optional<TlsLevel> rule) {
        return tls.levelFor(rule);
    }

    /** Relay hosts at this agent's own level. */
    RecipientOutcomes deliver(List<RelayHost> hostsInOrder, MaybeSender sender, Collection<MailAddress> recipients, MimeMessage message) {
        return deliverVia(hostsInOrder.stream().map(host -> RelayRoute.of(host, tls.level)).collect(Collectors.toList()), sender, recipients, message);
    }

    RecipientOutcomes deliverVia(List<RelayRoute> routesInOrder, MaybeSender sender, Collection<MailAddress> recipients, MimeMessage message) {
        List<String> failures = new ArrayList<>();
        Optional<String> tlsCode = Optional.empty();
        for (RelayRoute route : routesInOrder) {
            Optional<String> suspended = connections.suspension(route.host);
            if (suspended.isPresent()) {
                failures.add(route + ": " + suspended.get());
                continue;
            }
            Optional<RelayConnection> cached = connections.cached(route).filter(this::stillAnswers);
            if (cached.isPresent()) {
                return transact(cached.get(), sender, recipients, message);
            }
            RelayConnection connection;
            try {
                connection = open(route);
            } catch (MessagingException e) {
                Optional<TlsFailure> tlsFailure = TlsFailure.of(route, e);
                if (tlsFailure.isPresent()) {
                    // the host answered: not dead, but not fit for this mail; the next host may be
                    LOGGER.warn("{} {}: {}", tlsFailure.get().code, route, tlsFailure.get().reason);
                    failures.add(route + ": " + tlsFailure.get().reason);
                    tlsCode = tlsCode.or(() -> Optional.of(tlsFailure.get().code));
                    continue;
                }
                // the next host is only tried when this one does not answer at all
                failures.add(route + ": " + describe(e));
                connections.suspend(route.host, describe(e));
                continue;
            }
            return transact(connection, sender, recipients, message);
        }
        String reason = tlsCode.map(code -> code + " ").orElse("connect failed: ") + String.join("; ", failures);
        return allRecipients(recipients, RecipientOutcome.temporaryFailure(reason));
    }

    /**
     * A new connection on the route. At {@code may} a failed handshake is tried again once in
     * plaintext, as Postfix does: {@code may} promises no more than a plaintext peer would get.
     */
    private RelayConnection open(RelayRoute route) throws MessagingException {
        try {
            return connections.open(route);
        } catch (MessagingException e) {
            Optional<TlsFailure> failure = route.tls == TlsLevel.MAY ? TlsFailure.of(route, e) : Optional.empty();
            if (failure.isEmpty()) {
                throw e;
            }
            LOGGER.warn("{}: {}; trying again in plaintext", route, failure.get().reason);
            return connections.open(route, TlsLevel.NONE);
        }
    }

    /** RSET on a connection from the cache; one the peer closed while it waited is dropped, not counted as a failure. */
    private boolean stillAnswers(RelayConnection connection) {
        try {
            connection.reset();
            return true;
        } catch (MessagingException e) {
            connections.discard(connection);
            return false;
        }
    }

    /** Every recipient, {@code recipientLimit} to a transaction; the connection goes back to the cache when it ended cleanly. */
    private RecipientOutcomes transact(RelayConnection connection, MaybeSender sender, Collection<MailAddress> recipients, MimeMessage message) {
        RecipientOutcomes outcomes = new RecipientOutcomes();
        List<MailAddress> all = List.copyOf(recipients);
        boolean clean = true;
        for (int from = 0; from < all.size(); from += recipientLimit) {
            List<MailAddress> batch = all.subList(from, Math.min(all.size(), from + recipientLimit));
            try {
                connection.startTransaction();
                clean = send(connection, batch, envelopeMessage(connection, sender, message), outcomes);
            } catch (MessagingException e) {
                outcomes.putAll(allRecipients(batch, RecipientOutcome.temporaryFailure(connection.route + ": " + describe(e))));
                clean = false;
            }
            if (!clean) {
                RecipientOutcome notTried = RecipientOutcome.temporaryFailure(connection.route + ": connection lost before this transaction");
                all.subList(Math.min(all.size(), from + recipientLimit), all.size()).forEach(recipient -> outcomes.put(recipient, notTried));
                break;
            }
        }
        if (clean) {
            connections.release(connection);
        } else {
            connections.discard(connection);
        }
        return outcomes;
    }

    /** The message as sent, with the envelope sender and the MAIL FROM parameters this next hop understands. */
    private MimeMessage envelopeMessage(RelayConnection connection, MaybeSender sender, MimeMessage message) throws MessagingException {
        StreamedMessage streamed = new StreamedMessage(sessions.forLevel(connection.route.tls), message, connection);
        streamed.setEnvelopeFrom(sender.asOptional().map(MailAddress::asString).orElse("<>"));
        List<String> parameters = new ArrayList<>();
        if (connection.transport.supportsExtension("8BITMIME")) {
            parameters.add("BODY=8BITMIME");
        }
        long size = approximateSize(message);
        if (connection.transport.supportsExtension("SIZE") && size > 0) {
            parameters.add("SIZE=" + size);
        }
        if (!parameters.isEmpty()) {
            streamed.setMailExtension(String.join(" ", parameters));
        }
        return streamed;
    }

    /** RFC 1870 wants the whole message: header lines plus body (getSize() is the body only). */
    private static long approximateSize(MimeMessage message) throws MessagingException {
        long size = Math.max(0, message.getSize()) + 2;
        java.util.Enumeration<String> lines = message.getAllHeaderLines();
        while (lines.hasMoreElements()) {
            size += lines.nextElement().length() + 2;
        }
        return size;
    }

    /**
     * One transaction; its outcomes are added to {@code outcomes}.
     *
     * @return whether the connection may carry another transaction (the peer answered every command)
     */
    private boolean send(RelayConnection connection, Collection<MailAddress> recipients, MimeMessage message, RecipientOutcomes outcomes) {
        SMTPTransport transport = connection.transport;
        RelayRoute host = connection.route;
        Address[] addresses = recipients.stream().map(MailAddress::toInternetAddress).flatMap(Optional::stream).toArray(Address[]::new);
        try {
            transport.sendMessage(message, addresses);
            outcomes.putAll(allRecipients(recipients, RecipientOutcome.delivered(host + " said: " + transport.getLastServerResponse().trim())));
            return true;
        } catch (SendFailedException e) {
            outcomes.putAll(perRecipient(host, recipients, e, transport));
            return !connection.aborted() && !brokenConnection(e);
        } catch (MessagingException e) {
            outcomes.putAll(allRecipients(recipients, RecipientOutcome.temporaryFailure(host + ": " + describe(e))));
            return false;
        }
    }

    /** An I/O error anywhere in the chain: the peer is gone or out of step, the connection must not be reused. */
    private static boolean brokenConnection(MessagingException failure) {
        Throwable e = failure;
        while (e != null && !(e instanceof java.io.IOException)) {
            Throwable next = e instanceof MessagingException ? ((MessagingException) e).getNextException() : null;
            e = next != null ? next : e.getCause() == e ? null : e.getCause();
        }
        return e != null;
    }

    private RecipientOutcomes perRecipient(RelayRoute host, Collection<MailAddress> recipients,
                                           SendFailedException failure, SMTPTransport transport) {
        Map<String, RecipientOutcome> byAddress = new LinkedHashMap<>();
        RecipientOutcome whole = null;
        for (Exception e = failure; e != null; e = e instanceof MessagingException ? ((MessagingException) e).getNextException() : null) {
            if (e instanceof SMTPAddressFailedException) {
                SMTPAddressFailedException rcpt = (SMTPAddressFailedException) e;
                // the address exactly as sent: case@x and CASE@x are two recipients (RFC 5321 2.4)
                byAddress.put(exact(rcpt.getAddress().getAddress()),
                    RecipientOutcome.fromSmtpReply(rcpt.getReturnCode(), host + " said: " + rcpt.getMessage().trim()));
            } else if (e instanceof SMTPSendFailedException && whole == null) {
                // MAIL FROM, DATA or end-of-data refused: it applies to every recipient not refused alone
                SMTPSendFailedException send = (SMTPSendFailedException) e;
                whole = RecipientOutcome.fromSmtpReply(send.getReturnCode(), host + " said: " + send.getMessage().trim());
            }
        }
        boolean sent = failure.getValidSentAddresses() != null && failure.getValidSentAddresses().length > 0;
        RecipientOutcomes outcomes = new RecipientOutcomes();
        for (MailAddress recipient : recipients) {
            RecipientOutcome outcome = byAddress.get(recipient.asString());
            if (outcome == null) {
                if (whole != null) {
                    outcome = whole;
                } else if (sent && wasSent(failure, recipient)) {
                    outcome = RecipientOutcome.delivered(host + " said: " + transport.getLastServerResponse().trim());
                } else {
                    outcome = RecipientOutcome.temporaryFailure(host + ": " + describe(failure));
                }
            }
            outcomes.put(recipient, outcome);
        }
        return outcomes;
    }

    private static boolean wasSent(SendFailedException failure, MailAddress recipient) {
        for (Address address : failure.getValidSentAddresses()) {
            if (address instanceof InternetAddress && exact(((InternetAddress) address).getAddress()).equals(recipient.asString())) {
                return true;
            }
        }
        return false;
    }

    private static Properties properties(Duration connectTimeout, Duration commandTimeout, Optional<String> heloName) {
        Properties props = new Properties();
        props.put("mail.smtp.connectiontimeout", String.valueOf(connectTimeout.toMillis()));
        props.put("mail.smtp.timeout", String.valueOf(commandTimeout.toMillis()));
        // no mail.smtp.writetimeout: JavaMail 1.6 starts a thread per connection for it; the
        // watchdog of RelayConnections times the writes instead
        props.put("mail.smtp.socketFactory", RelayConnections.SOCKETS);
        // deliver to the recipients the next hop accepts, report the others one by one
        props.put("mail.smtp.sendpartial", "true");
        // never let JavaMail re-encode the body (it would rewrite quoted-printable parts as 8bit)
        props.put("mail.smtp.allow8bitmime", "false");
        heloName.ifPresent(name -> props.put("mail.smtp.localhost", name));
        return props;
    }

    @Override
    public void close() {
        connections.close();
    }

    private static RecipientOutcomes allRecipients(Collection<MailAddress> recipients, RecipientOutcome outcome) {
        return RecipientOutcomes.of(recipients, outcome);
    }

    /** As {@link MailAddress#asString()} writes it: local part as is, domain in lower case. */
    private static String exact(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? address : address.substring(0, at) + address.substring(at).toLowerCase(java.util.Locale.ROOT);
    }

    private static String describe(Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().trim();
        return root == e ? message : message + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }
}
