package org.policyrouter.hooks.qpsmtpd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.policyrouter.core.LogText;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlLine;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.core.Immunity;
import org.policyrouter.hooks.core.IpAddresses;
import org.policyrouter.hooks.core.Options;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Verdict;
import org.policyrouter.hooks.state.GreylistRecord;
import org.policyrouter.hooks.state.StateStores;
import org.policyrouter.hooks.state.StoreAccess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * qpsmtpd's {@code greylisting}: a triplet seen for the first time is deferred with
 * {@code 450 4.7.1 This mail is temporarily denied}; deferred again while younger than
 * {@code black_timeout} (50 min); accepted if it comes back before {@code grey_timeout}
 * (3 h 20 min), which makes it white; white triplets pass for {@code white_timeout} (36 days)
 * after their last delivery; a triplet that outlived its period starts over. The triplet is the
 * client address ({@code remote_ip 1}) plus, if enabled, the sender ({@code sender 1}) and the
 * recipient ({@code recipient 1}, then checked per RCPT; the null sender is then deferred after
 * DATA so bounces still reach every recipient). {@code deny_late 1} defers after DATA instead of
 * at MAIL. Immune clients are never greylisted; {@code reject 0} records without deferring.
 * Options may also come from the control file {@code denysoft_greylist} ({@code name value}).
 *
 * <p>Store ({@link StateStores}): {@code store file} (default; journal in {@code db_dir}, default
 * {@code file://var/greylisting}, at most {@code max_entries} triplets), or {@code store postgresql}
 * / {@code store redis} shared by several nodes; a store that fails or does not answer within
 * {@code store_timeout} makes the check apply {@code store_failure} ({@code accept}: not
 * greylisted, as qpsmtpd when its database cannot be opened; {@code tempfail}: 450 4.3.0).
 * Saves are not awaited. A triplet this node found white is not looked up again for a minute
 * (its white period renewed once a minute at most, {@code passed} counting renewals). qpsmtpd 0.94 calls a method that does not exist
 * (is_p0f_match) before greylisting, so it never defers; this follows its documentation.
 */
public class Greylisting extends QpsmtpdHandler {
    private static final Logger LOGGER = LoggerFactory.getLogger(Greylisting.class);
    static final String MESSAGE = "This mail is temporarily denied";
    static final Duration WHITE_MEMORY = Duration.ofMinutes(1);
    private static final int WHITE_MEMORY_SIZE = 100_000;
    private static final String LATE = "greylist";

    private boolean byIp;
    private boolean bySender;
    private boolean byRecipient;
    private boolean denyLate;
    private boolean reject;
    private Duration black;
    private Duration grey;
    private Duration white;
    private StoreAccess store;
    private LongSupplier clock = System::currentTimeMillis;
    /**
     * Triplets this node found white in the last minute, until when (on {@link #clock}): a white
     * triplet stays white for weeks, so asking the shared store again for each of its messages (a
     * read and a renewal per RCPT) buys nothing; its white period is renewed once a minute at most.
     */
    private final Map<String, Long> recentlyWhite = new ConcurrentHashMap<>();

    @Override
    public String pluginName() {
        return "greylisting";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        Options options = withControlFileDefaults(environment);
        byIp = options.flag("remote_ip", true);
        bySender = options.flag("sender", false);
        byRecipient = options.flag("recipient", false) || options.flag("per_recipient", false);
        if (!byIp && !bySender && !byRecipient) {
            throw options.invalid("remote_ip", "0", "allowed with sender 0 and recipient 0: enable one of them");
        }
        denyLate = options.flag("deny_late", false);
        reject = options.flag("reject", true);
        black = options.duration("black_timeout", Duration.ofMinutes(50));
        grey = options.duration("grey_timeout", Duration.ofMinutes(200));
        white = options.duration("white_timeout", Duration.ofDays(36));
        store = StateStores.open(environment, options, "file://var/greylisting", true);
    }

    @Override
    public void release() {
        if (store != null) {
            store.close();
        }
    }

    /** qpsmtpd reads {@code denysoft_greylist} lines ("black_timeout 600") under the plugin's own arguments. */
    private static Options withControlFileDefaults(CheckEnvironment environment) {
        List<String> words = new ArrayList<>();
        for (ControlLine line : environment.controlFiles().lines("denysoft_greylist").get()) {
            String[] pair = line.text().split("\\s+", 2);
            words.add(pair[0]);
            words.add(pair.length > 1 ? pair[1] : "1");
        }
        Options fromFile = Options.fromPluginArguments(words, "denysoft_greylist");
        return Options.layered(fromFile, environment.options());
    }

    void useClock(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public Verdict mail(Connection connection, EnvelopeAddress sender) {
        if (byRecipient) {
            return Verdict.DECLINED;
        }
        Verdict verdict = greylist(connection, sender, null);
        if (verdict.isDeclined() || !denyLate) {
            return verdict;
        }
        connection.transactionNotes().put(LATE, MESSAGE);
        return Verdict.DECLINED;
    }

    @Override
    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        if (!byRecipient) {
            return Verdict.DECLINED;
        }
        EnvelopeAddress sender = connection.sender().orElse(EnvelopeAddress.nullSender());
        Verdict verdict = greylist(connection, sender, recipient);
        if (!verdict.isDeclined() && (sender.isNullSender() || denyLate)) {
            connection.transactionNotes().put(LATE, MESSAGE);
            return Verdict.DECLINED;
        }
        return verdict;
    }

    @Override
    public Verdict dataPost(Connection connection) {
        if (!connection.transactionNotes().isTrue(LATE)) {
            return Verdict.DECLINED;
        }
        return Verdict.denySoft(MESSAGE, "7.1");
    }

    private Verdict greylist(Connection connection, EnvelopeAddress sender, EnvelopeAddress recipient) {
        if (Immunity.isImmune(connection)) {
            return Verdict.DECLINED;
        }
        String key = key(connection, sender, recipient);
        long now = clock.getAsLong();
        Long knownWhiteUntil = recentlyWhite.get(key);
        if (knownWhiteUntil != null && knownWhiteUntil > now) {
            return Verdict.DECLINED;
        }
        Deadline deadline = store.deadline();
        Optional<Optional<GreylistRecord>> answer = store.await(deadline, store.start(engine -> engine.findTriplet(key)));
        if (answer.isEmpty()) {
            LOGGER.debug("greylisting: store {} failed, store_failure {} for {}", store.describe(), store.failure(), LogText.escape(key));
            return store.failureVerdict();
        }
        Optional<GreylistRecord> known = answer.get();
        if (known.isPresent()) {
            GreylistRecord record = known.get();
            long age = now - record.timestampMillis();
            if (record.passed() > 0 && age < white.toMillis()) {
                save(key, new GreylistRecord(now, record.blocked(), record.passed() + 1, now + white.toMillis()));
                rememberWhite(key, now);
                return Verdict.DECLINED;
            }
            if (record.passed() == 0 && age < black.toMillis()) {
                save(key, new GreylistRecord(record.timestampMillis(), record.blocked() + 1, 0, record.timestampMillis() + grey.toMillis()));
                return defer(key, "black, " + (record.blocked() + 1) + " deferrals");
            }
            if (record.passed() == 0 && age < grey.toMillis()) {
                save(key, new GreylistRecord(now, record.blocked(), 1, now + white.toMillis()));
                rememberWhite(key, now);
                LOGGER.info("greylisting: {} passed after {} s, now white", LogText.escape(key), age / 1000);
                return Verdict.DECLINED;
            }
        }
        save(key, new GreylistRecord(now, 1, 0, now + grey.toMillis()));
        return defer(key, "unknown");
    }

    private void rememberWhite(String key, long now) {
        if (recentlyWhite.size() >= WHITE_MEMORY_SIZE) {
            recentlyWhite.clear();
        }
        recentlyWhite.put(key, now + WHITE_MEMORY.toMillis());
    }

    private void save(String key, GreylistRecord record) {
        store.send(engine -> engine.saveTriplet(key, record));
    }

    private Verdict defer(String key, String why) {
        if (!reject) {
            LOGGER.info("greylisting: would defer {} ({}), reject 0", LogText.escape(key), why);
            return Verdict.DECLINED;
        }
        LOGGER.info("greylisting: deferring {} ({})", LogText.escape(key), why);
        return Verdict.denySoft(MESSAGE, "7.1");
    }

    private String key(Connection connection, EnvelopeAddress sender, EnvelopeAddress recipient) {
        List<String> parts = new ArrayList<>();
        if (byIp) {
            parts.add(IpAddresses.toText(connection.remoteAddress()));
        }
        if (bySender) {
            parts.add(sender.normalized());
        }
        if (byRecipient && recipient != null) {
            parts.add(recipient.normalized());
        }
        return String.join("/", parts);
    }
}
