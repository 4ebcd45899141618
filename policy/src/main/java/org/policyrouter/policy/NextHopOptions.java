package org.policyrouter.policy;

import java.util.Optional;
import java.util.regex.Pattern;

import org.policyrouter.core.process.UnixAccounts;

/**
 * The {@code name=value} words a next hop may start with, as Postfix's master.cf attributes:
 * {@code user=NAME[:GROUP]} (who a pipe runs as; Postfix pipe's {@code user=}) and
 * {@code tls=LEVEL} (an SMTP or MX next hop's {@link TlsLevel}).
 *
 * <pre>
 * lists.example.com   user=listd |/usr/local/bin/list-handler ${recipient}
 * secure.example.net  tls=verify smtp.secure.example.net:25
 * </pre>
 */
public final class NextHopOptions {
    public static final NextHopOptions NONE = new NextHopOptions(Optional.empty(), Optional.empty(), "");

    private static final Pattern OPTION = Pattern.compile("([a-z]+)=(\\S*)(?:\\s+|$)");

    private final Optional<String> user;
    private final Optional<TlsLevel> tls;
    private final String rest;

    private NextHopOptions(Optional<String> user, Optional<TlsLevel> tls, String rest) {
        this.user = user;
        this.tls = tls;
        this.rest = rest;
    }

    /**
     * Takes the leading options off a next hop's text.
     *
     * @throws IllegalArgumentException for an unknown option, a bad value or an option twice
     */
    public static NextHopOptions parse(String text) {
        String rest = text.trim();
        Optional<String> user = Optional.empty();
        Optional<TlsLevel> tls = Optional.empty();
        java.util.regex.Matcher option = OPTION.matcher(rest);
        while (option.lookingAt()) {
            String name = option.group(1);
            String value = option.group(2);
            switch (name) {
                case "user":
                    if (user.isPresent()) {
                        throw new IllegalArgumentException("user= given twice");
                    }
                    user = Optional.of(userValue(value));
                    break;
                case "tls":
                    if (tls.isPresent()) {
                        throw new IllegalArgumentException("tls= given twice");
                    }
                    tls = Optional.of(TlsLevel.parse(value));
                    break;
                default:
                    throw new IllegalArgumentException("unknown next hop option '" + name + "=' (options: user=, tls=)");
            }
            rest = rest.substring(option.end());
            option = OPTION.matcher(rest);
        }
        return new NextHopOptions(user, tls, rest);
    }

    private static String userValue(String value) {
        String[] parts = value.split(":", -1);
        if (parts.length > 2 || !UnixAccounts.isValidName(parts[0]) || (parts.length == 2 && !UnixAccounts.isValidName(parts[1]))) {
            throw new IllegalArgumentException("user= needs a unix user name, optionally :group, got '" + value + "'");
        }
        return value;
    }

    /** {@code NAME} or {@code NAME:GROUP}, as written. */
    public Optional<String> user() {
        return user;
    }

    public Optional<TlsLevel> tls() {
        return tls;
    }

    /** The next hop after the options. */
    String rest() {
        return rest;
    }

    boolean isEmpty() {
        return user.isEmpty() && tls.isEmpty();
    }

    /** Part of a delivery target: next hops with different options never share a transaction. */
    Object identity() {
        return java.util.List.of(user.orElse(""), tls.map(TlsLevel::label).orElse(""));
    }
}
