package org.policyrouter.hooks.limits;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.IpAddresses;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;
import org.policyrouter.hooks.state.StateStores;
import org.policyrouter.hooks.state.StoreAccess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits that hold across every node sharing a store (Haraka's {@code limit} plugin, Postfix's
 * {@code anvil}): plugin {@code limit}, options as the other checks take them (plugins file or
 * handler XML), counted in the {@link StateStores store} the options name.
 * <pre>
 * concurrency 3          open connections per client network, on all nodes: the next one gets
 *                        421 Too many connections from 192.0.2.7, try again later
 * rate_conn 30/1m        connections per client network and window (421 at connect)
 * rate_msg_host 100/1h   messages (MAIL commands) per client network (450 4.7.1 at MAIL, as qpsmtpd answers DENYSOFT)
 * rate_rcpt_host 500/1h  recipients per client network (450 4.7.1 at that RCPT)
 * rate_msg_sender 100/1h, rate_rcpt_sender 500/1h
 *                        the same per authenticated user, or per envelope sender without AUTH
 * ipv4_prefix 32, ipv6_prefix 64     what "client network" means
 * limit_relay_clients 0  clients James lets relay by address are exempt from the per-network
 *                        limits (Postfix exempts $mynetworks); the per-sender ones always apply
 * slot_ttl 1h            a connection's slot is forgotten after this unless refreshed by a MAIL:
 *                        the slots of a node that died without closing them run out
 * </pre>
 * Every attempt counts, refused ones included (as in Haraka). The store is awaited at most
 * {@code store_timeout} per command; when it fails, {@code store_failure} decides
 * ({@code accept} by default: a limit is a defence, not a reason to stop mail).
 */
public class ClusterLimits extends QpsmtpdHandler {
    private static final Logger LOGGER = LoggerFactory.getLogger(ClusterLimits.class);
    /** This JVM among the nodes: slot ids must not collide across nodes. */
    private static final String NODE = ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    private static final AtomicLong SLOTS = new AtomicLong();
    /**
     * Slot ids closed in the store, ready for the next connection (the last closed first): a busy
     * client's slots are then a few rows updated in place, where a new row per connection leaves
     * PostgreSQL's index full of dead entries that every count must step over.
     */
    private static final Deque<String> CLOSED_SLOTS = new ConcurrentLinkedDeque<>();
    private static final String SLOT = "limit.slot";

    private int concurrency;
    private WindowRate connectionRate;
    private WindowRate messagesPerHost;
    private WindowRate recipientsPerHost;
    private WindowRate messagesPerSender;
    private WindowRate recipientsPerSender;
    private int ipv4Prefix;
    private int ipv6Prefix;
    private boolean limitRelayClients;
    private Duration slotTtl;
    private StoreAccess store;
    private CounterLeases leases;
    private HeldSlots heldSlots;

    @Override
    public String pluginName() {
        return "limit";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        Options options = environment.options();
        concurrency = options.integer("concurrency", 0);
        if (concurrency < 0) {
            throw options.invalid("concurrency", String.valueOf(concurrency), "0 (none) or more");
        }
        connectionRate = WindowRate.option(options, "rate_conn");
        messagesPerHost = WindowRate.option(options, "rate_msg_host");
        recipientsPerHost = WindowRate.option(options, "rate_rcpt_host");
        messagesPerSender = WindowRate.option(options, "rate_msg_sender");
        recipientsPerSender = WindowRate.option(options, "rate_rcpt_sender");
        ipv4Prefix = prefix(options, "ipv4_prefix", 32);
        ipv6Prefix = prefix(options, "ipv6_prefix", 64);
        limitRelayClients = options.flag("limit_relay_clients", false);
        slotTtl = options.duration("slot_ttl", Duration.ofHours(1));
        if (slotTtl.toSeconds() < 60) {
            throw options.invalid("slot_ttl", options.string("slot_ttl", ""), "60s or more (a live connection must keep its slot)");
        }
        store = StateStores.open(environment, options, "file://var/state", false);
        if (store != null) {
            leases = new CounterLeases(store, System::currentTimeMillis);
            heldSlots = concurrency > 0 ? new HeldSlots(concurrency, this::closeSlot) : null;
        }
    }

    private static int prefix(Options options, String name, int defaultValue) {
        int value = options.integer(name, defaultValue);
        int max = name.startsWith("ipv4") ? 32 : 128;
        if (value < 1 || value > max) {
            throw options.invalid(name, String.valueOf(value), "a prefix length from 1 to " + max);
        }
        return value;
    }

    @Override
    public void release() {
        if (heldSlots != null) {
            heldSlots.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @Override
    public Verdict connect(Connection connection) {
        if (!limitsNetwork(connection) || (concurrency == 0 && connectionRate == null)) {
            return Verdict.DECLINED;
        }
        String network = network(connection.remoteAddress());
        Deadline deadline = store.deadline();
        CompletableFuture<Integer> opening = null;
        HeldSlots.Slot asked = null;
        if (concurrency > 0) {
            Optional<HeldSlots.Slot> held = heldSlots.take("conn:" + network);
            if (held.isPresent()) {
                connection.connectionNotes().put(SLOT, held.get());
            } else {
                String slotId = Optional.ofNullable(CLOSED_SLOTS.pollFirst()).orElseGet(() -> NODE + "-" + SLOTS.incrementAndGet());
                // noted before the answer: a connection refused or timed out still closes what it may have opened
                asked = HeldSlots.Slot.asked(slotId);
                connection.connectionNotes().put(SLOT, asked);
                opening = store.start(engine -> engine.openSlot("conn:" + network, slotId, slotTtl));
            }
        }
        if (connectionRate != null) {
            Optional<long[]> position = leases.take(List.of(new CounterLeases.Count("rate_conn:" + network, connectionRate)), deadline);
            if (position.isEmpty()) {
                return atConnect(store.failureVerdict());
            }
            if (position.get()[0] > connectionRate.limit) {
                LOGGER.info("limit: connection {} from {} in the window, rate_conn {}", position.get()[0], network, connectionRate);
                return atConnect(Verdict.denySoft("Too many connections from " + connection.remoteIp()
                    + " (limit " + connectionRate + "), try again later", null));
            }
        }
        if (opening != null) {
            Optional<Integer> open = store.await(deadline, opening);
            if (open.isEmpty()) {
                return atConnect(store.failureVerdict());
            }
            if (open.get() > concurrency) {
                LOGGER.info("limit: {} connections open from {} on all nodes, concurrency {}", open.get(), network, concurrency);
                return atConnect(Verdict.denySoft("Too many connections from " + connection.remoteIp() + ", try again later", null));
            }
            connection.connectionNotes().put(SLOT, asked.admitted(open.get()));
        }
        return Verdict.DECLINED;
    }

    /** Before the greeting, a refusal closes the connection: 421. */
    private static Verdict atConnect(Verdict verdict) {
        return verdict.isDeclined() ? verdict : verdict.withCode(ReturnCode.DENYSOFT_DISCONNECT).asClosingConnection();
    }

    @Override
    public Verdict mail(Connection connection, EnvelopeAddress sender) {
        refreshSlot(connection);
        return counted(connection, messagesPerHost, messagesPerSender, sender, "messages");
    }

    @Override
    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        EnvelopeAddress sender = connection.sender().orElse(EnvelopeAddress.nullSender());
        return counted(connection, recipientsPerHost, recipientsPerSender, sender, "recipients");
    }

    private Verdict counted(Connection connection, WindowRate perHost, WindowRate perSender, EnvelopeAddress sender, String what) {
        WindowRate host = limitsNetwork(connection) ? perHost : null;
        if (host == null && perSender == null) {
            return Verdict.DECLINED;
        }
        String who = connection.authenticatedUser().map(user -> "user " + user)
            .orElseGet(() -> sender.isNullSender() ? "<>" : sender.normalized());
        List<CounterLeases.Count> counts = new ArrayList<>(2);
        if (host != null) {
            counts.add(new CounterLeases.Count(what + "_host:" + network(connection.remoteAddress()), host));
        }
        if (perSender != null) {
            counts.add(new CounterLeases.Count(what + "_sender:" + who, perSender));
        }
        Optional<long[]> positions = leases.take(counts, store.deadline());
        if (positions.isEmpty()) {
            return store.failureVerdict();
        }
        Verdict verdict = host == null ? Verdict.DECLINED
            : judge(positions.get()[0], host, "Too many " + what + " from " + connection.remoteIp());
        if (verdict.isDeclined() && perSender != null) {
            verdict = judge(positions.get()[counts.size() - 1], perSender, "Too many " + what + " from " + who);
        }
        return verdict;
    }

    private static Verdict judge(long count, WindowRate rate, String text) {
        if (count > rate.limit) {
            LOGGER.info("limit: {} ({} in the window, limit {})", text, count, rate);
            return Verdict.denySoft(text + " (limit " + rate + "), try again later", "7.1");
        }
        return Verdict.DECLINED;
    }

    /** A long session keeps its slot: refreshed at a MAIL once half its time to live has passed. */
    private void refreshSlot(Connection connection) {
        Optional<Object> noted = connection.connectionNotes().get(SLOT);
        if (noted.isEmpty() || System.nanoTime() - ((HeldSlots.Slot) noted.get()).refreshedNanos < slotTtl.toNanos() / 2) {
            return;
        }
        HeldSlots.Slot slot = (HeldSlots.Slot) noted.get();
        connection.connectionNotes().put(SLOT, slot.refreshed());
        String network = network(connection.remoteAddress());
        store.send(engine -> engine.openSlot("conn:" + network, slot.id, slotTtl));
    }

    @Override
    public void disconnect(Connection connection) {
        Optional<Object> noted = connection.connectionNotes().get(SLOT);
        if (noted.isPresent()) {
            connection.connectionNotes().remove(SLOT);
            heldSlots.release("conn:" + network(connection.remoteAddress()), (HeldSlots.Slot) noted.get());
        }
    }

    /** Closes the slot in the store; its id is reused only once closed: an open of the same id must not run before its close. */
    private void closeSlot(String key, String slotId) {
        store.send(engine -> engine.closeSlot(key, slotId)).thenRun(() -> CLOSED_SLOTS.offerFirst(slotId));
    }

    private boolean limitsNetwork(Connection connection) {
        return limitRelayClients || !connection.isRelayClient();
    }

    /** The client's address masked to the configured prefix: {@code 192.0.2.0/24}, or the address alone at /32 and /128. */
    String network(InetAddress address) {
        byte[] bytes = address.getAddress();
        int prefix = bytes.length == 4 ? ipv4Prefix : ipv6Prefix;
        if (prefix == bytes.length * 8) {
            return IpAddresses.toText(address);
        }
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return IpAddresses.toText(InetAddress.getByAddress(bytes)) + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
