package org.policyrouter.hooks.core;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPSession;
import org.policyrouter.hooks.netty.GreetingHold;

/** A {@link Connection} over James's SMTPSession; notes live in the session's attachments. */
public final class JamesConnection implements Connection {
    private static final AttachmentKey<Notes> CONNECTION_NOTES = AttachmentKey.of("qpsmtpd.connection-notes", Notes.class);
    private static final AttachmentKey<Notes> TRANSACTION_NOTES = AttachmentKey.of("qpsmtpd.transaction-notes", Notes.class);

    private final SMTPSession session;

    public JamesConnection(SMTPSession session) {
        this.session = session;
    }

    public static EnvelopeAddress address(MailAddress address) {
        return EnvelopeAddress.of(address.getLocalPart(), address.getDomain().asString());
    }

    public static EnvelopeAddress address(MaybeSender sender) {
        return sender.asOptional().map(JamesConnection::address).orElse(EnvelopeAddress.nullSender());
    }

    @Override
    public InetAddress remoteAddress() {
        return session.getRemoteAddress().getAddress();
    }

    @Override
    public InetAddress localAddress() {
        return session.getLocalAddress().getAddress();
    }

    @Override
    public Optional<String> heloHost() {
        return session.getAttachment(SMTPSession.CURRENT_HELO_NAME, State.Connection);
    }

    @Override
    public boolean isRelayClient() {
        return session.isRelayingAllowed() || session.getUsername() != null;
    }

    @Override
    public void setRelayClient(boolean relayClient) {
        session.setRelayingAllowed(relayClient);
    }

    @Override
    public Optional<String> authenticatedUser() {
        return Optional.ofNullable(session.getUsername()).map(Object::toString);
    }

    @Override
    public Notes connectionNotes() {
        return notes(CONNECTION_NOTES, State.Connection);
    }

    @Override
    public Notes transactionNotes() {
        return notes(TRANSACTION_NOTES, State.Transaction);
    }

    private Notes notes(AttachmentKey<Notes> key, State state) {
        return session.getAttachment(key, state).orElseGet(() -> {
            Notes notes = new Notes();
            session.setAttachment(key, notes, state);
            return notes;
        });
    }

    @Override
    public Optional<EnvelopeAddress> sender() {
        return session.getAttachment(SMTPSession.SENDER, State.Transaction).map(JamesConnection::address);
    }

    @Override
    public List<EnvelopeAddress> recipients() {
        return session.getAttachment(SMTPSession.RCPT_LIST, State.Transaction)
            .map(list -> list.stream().map(JamesConnection::address).collect(Collectors.toList()))
            .orElse(List.of());
    }

    /** Without the channel (see JamesInternals) the greeting goes out at once and nobody talked early. */
    @Override
    public void holdGreeting(Duration wait, Function<Boolean, Verdict> decision) {
        GreetingHold.install(session).ifPresent(hold -> hold.after(wait, talkedEarly -> {
            Verdict verdict = decision.apply(talkedEarly);
            if (verdict.code().rejects()) {
                hold.open(List.of(Stage.CONNECT.replyLine(verdict)), false, true);
            } else {
                hold.open(List.of(), true, false);
            }
        }));
    }
}
