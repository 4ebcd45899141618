package org.policyrouter.hooks.core;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** A connection for unit tests: a client address, what it said, notes. */
public final class FakeConnection implements Connection {
    private final InetAddress remote;
    private final Notes connectionNotes = new Notes();
    private final Notes transactionNotes = new Notes();
    private final List<EnvelopeAddress> recipients = new ArrayList<>();
    private boolean relayClient;
    private String helo;
    private EnvelopeAddress sender;
    private Boolean talksEarly;
    private Verdict greetingVerdict;
    private String user;

    private FakeConnection(InetAddress remote) {
        this.remote = remote;
    }

    public static FakeConnection from(String ip) {
        return new FakeConnection(IpAddresses.parse(ip).orElseThrow());
    }

    public FakeConnection relayClient() {
        relayClient = true;
        return this;
    }

    public FakeConnection helo(String name) {
        helo = name;
        return this;
    }

    public FakeConnection sender(String address) {
        sender = EnvelopeAddress.parse(address);
        return this;
    }

    @Override
    public InetAddress remoteAddress() {
        return remote;
    }

    @Override
    public InetAddress localAddress() {
        return IpAddresses.parse("127.0.0.1").orElseThrow();
    }

    @Override
    public Optional<String> heloHost() {
        return Optional.ofNullable(helo);
    }

    @Override
    public boolean isRelayClient() {
        return relayClient;
    }

    @Override
    public void setRelayClient(boolean relayClient) {
        this.relayClient = relayClient;
    }

    @Override
    public Optional<String> authenticatedUser() {
        return Optional.ofNullable(user);
    }

    public FakeConnection authenticated(String name) {
        user = name;
        return this;
    }

    @Override
    public Notes connectionNotes() {
        return connectionNotes;
    }

    @Override
    public Notes transactionNotes() {
        return transactionNotes;
    }

    @Override
    public Optional<EnvelopeAddress> sender() {
        return Optional.ofNullable(sender);
    }

    @Override
    public List<EnvelopeAddress> recipients() {
        return recipients;
    }

    @Override
    public void holdGreeting(Duration wait, Function<Boolean, Verdict> decision) {
        if (talksEarly == null) {
            throw new UnsupportedOperationException("no greeting in unit tests");
        }
        greetingVerdict = decision.apply(talksEarly);
    }

    /** The greeting's hold ends at once, with the client having talked early or not. */
    public FakeConnection talksEarly(boolean talksEarly) {
        this.talksEarly = talksEarly;
        return this;
    }

    /** What the decision at the end of the greeting's hold answered. */
    public Verdict greetingVerdict() {
        return greetingVerdict;
    }
}
