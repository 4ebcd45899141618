package org.policyrouter.hooks.netty;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What we reach inside James 3.8.1 that James does not offer as API, and the one failure policy
 * for it: each capability is probed once, nothing throws (at class load or later), and a handler
 * that needs a missing capability uses its fallback. The first handler to initialize logs one
 * line per capability, so an operator of another James version reads at start-up what works.
 */
public final class JamesInternals {
    private static final Logger LOGGER = LoggerFactory.getLogger(JamesInternals.class);
    private static final AtomicBoolean REPORTED = new AtomicBoolean();
    private static final JamesInternals PROBED = new JamesInternals(
        field("org.apache.james.protocols.netty.NettyProtocolTransport", "channel"),
        field("io.netty.handler.codec.LineBasedFrameDecoder", "discarding"),
        subclass("org.apache.james.protocols.smtp.SMTPSessionImpl", "org.apache.james.protocols.api.ProtocolSessionImpl"));

    private final Probe channel;
    private final Probe framerState;
    private final Probe sessionTransport;

    JamesInternals(Probe channel, Probe framerState, Probe sessionTransport) {
        this.channel = channel;
        this.framerState = framerState;
        this.sessionTransport = sessionTransport;
    }

    /** The capabilities of the James this runs in. */
    static JamesInternals probed() {
        return PROBED;
    }

    /** Logs the self-test's outcome, once per JVM; every handler that uses James internals calls it from init(). */
    public static void reportOnce() {
        if (REPORTED.compareAndSet(false, true)) {
            PROBED.report().forEach(line -> {
                if (line.contains(" unavailable ")) {
                    LOGGER.warn(line);
                } else {
                    LOGGER.info(line);
                }
            });
        }
    }

    /** One line per capability: available, or unavailable (why) and the fallback in use. */
    List<String> report() {
        List<String> lines = new ArrayList<>();
        lines.add(line("channel access", channel,
            "spp plugins and the held 250 run on the I/O threads, an spp [connection] rejection closes instead of replacing the greeting, "
                + "earlytalker does not delay the greeting, idle timeout, line length and connect-time checks of closed connections stay James's"));
        lines.add(line("line framer state", framerState,
            "SMTP lines stay limited to James's 8,192 bytes (a message with a longer line is refused at its end)"));
        lines.add(line("session transport", sessionTransport,
            "spp P lines and D are not sent, reading pauses only through the channel"));
        return lines;
    }

    private static String line(String capability, Probe probe, String fallback) {
        return probe.failure
            .map(why -> "policyrouter: James internals: " + capability + " unavailable (" + why + ") — " + fallback)
            .orElse("policyrouter: James internals: " + capability + " available (" + probe.what + ")");
    }

    Optional<Field> channelField() {
        return channel.field;
    }

    Optional<Field> framerStateField() {
        return framerState.field;
    }

    boolean hasSessionTransport() {
        return sessionTransport.failure.isEmpty();
    }

    /** A private field made accessible, or why not; classes by name, so a missing one is an answer, not a load failure. */
    static Probe field(String owner, String name) {
        String what = simpleName(owner) + "." + name;
        try {
            Field field = load(owner).getDeclaredField(name);
            field.setAccessible(true);
            return new Probe(what, Optional.of(field), Optional.empty());
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return new Probe(what, Optional.empty(), Optional.of(e.toString()));
        }
    }

    /** James's SMTP sessions are of a class that exposes its transport. */
    static Probe subclass(String type, String expected) {
        String what = simpleName(type) + " is a " + simpleName(expected);
        try {
            return load(expected).isAssignableFrom(load(type))
                ? new Probe(what, Optional.empty(), Optional.empty())
                : new Probe(what, Optional.empty(), Optional.of(type + " does not extend " + expected));
        } catch (ReflectiveOperationException | LinkageError e) {
            return new Probe(what, Optional.empty(), Optional.of(e.toString()));
        }
    }

    private static Class<?> load(String name) throws ClassNotFoundException {
        return Class.forName(name, false, JamesInternals.class.getClassLoader());
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    static final class Probe {
        private final String what;
        private final Optional<Field> field;
        private final Optional<String> failure;

        private Probe(String what, Optional<Field> field, Optional<String> failure) {
            this.what = what;
            this.field = field;
            this.failure = failure;
        }
    }
}
