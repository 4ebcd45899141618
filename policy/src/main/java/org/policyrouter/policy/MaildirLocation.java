package org.policyrouter.policy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a {@code queue/maildir} next hop writes, from qpsmtpd's plugin arguments
 * {@code DIR [SUBDIRS [MODE]]}: one Maildir {@code DIR} for the whole mail (a {@code Delivered-To}
 * per recipient), or with {@code SUBDIRS} (containing {@code %l} local part, {@code %d} domain,
 * {@code %u} whole address) one Maildir per recipient under {@code DIR}; {@code MODE} (octal,
 * default 700) for what is created, without execute bits for files. Without arguments (the router
 * spec's bare {@code queue/maildir}): {@code var/maildir %d/%l}.
 */
public final class MaildirLocation {
    public static final String DEFAULT_DIRECTORY = "var/maildir";
    public static final String DEFAULT_SUBDIRECTORIES = "%d/%l";
    static final int DEFAULT_MODE = 0700;
    /** qpsmtpd's rule: any other character of the address becomes '_' before substitution. */
    private static final Pattern UNSAFE = Pattern.compile("[^-A-Za-z0-9+_.,@=]");
    private static final Pattern SUBSTITUTION = Pattern.compile(".*%[ldu].*");
    private static final Pattern MODE = Pattern.compile("[0-7]{3}");

    private final String directory;
    private final Optional<String> subdirectories;
    private final int mode;

    private MaildirLocation(String directory, Optional<String> subdirectories, int mode) {
        this.directory = directory;
        this.subdirectories = subdirectories;
        this.mode = mode;
    }

    /** @throws IllegalArgumentException with a message fit for a {@code transport:N:} error */
    public static MaildirLocation parse(List<String> arguments) {
        if (arguments.isEmpty()) {
            return new MaildirLocation(DEFAULT_DIRECTORY, Optional.of(DEFAULT_SUBDIRECTORIES), DEFAULT_MODE);
        }
        if (arguments.size() > 3) {
            throw new IllegalArgumentException("queue/maildir takes DIR [SUBDIRS [MODE]], got " + arguments);
        }
        Optional<String> subdirectories = Optional.empty();
        if (arguments.size() > 1) {
            String template = arguments.get(1);
            if (!SUBSTITUTION.matcher(template).matches()) {
                throw new IllegalArgumentException("queue/maildir sub directory '" + template + "' contains none of %l, %d, %u");
            }
            if (template.startsWith("/")) {
                throw new IllegalArgumentException("queue/maildir sub directory '" + template + "' must be relative to " + arguments.get(0));
            }
            subdirectories = Optional.of(template);
        }
        int mode = DEFAULT_MODE;
        if (arguments.size() > 2) {
            if (!MODE.matcher(arguments.get(2)).matches()) {
                throw new IllegalArgumentException("queue/maildir mode '" + arguments.get(2) + "' is not three octal digits");
            }
            mode = Integer.parseInt(arguments.get(2), 8);
        }
        return new MaildirLocation(arguments.get(0), subdirectories, mode);
    }

    /** {@code DIR} as written: relative paths are the server's to resolve. */
    public String directory() {
        return directory;
    }

    /** Whether each recipient has a Maildir of its own. */
    public boolean perRecipient() {
        return subdirectories.isPresent();
    }

    /** Permission bits of created directories; files get them without execute bits. */
    public int mode() {
        return mode;
    }

    /** The recipient's Maildir under {@code base} (the resolved {@code DIR}); {@code base} itself without SUBDIRS. */
    public Path forRecipient(Path base, String localPart, String domain) {
        if (subdirectories.isEmpty()) {
            return base;
        }
        String local = safe(localPart);
        String host = safe(domain);
        String relative = subdirectories.get().replace("%l", local).replace("%d", host).replace("%u", local + "@" + host);
        Path maildir = base.resolve(relative).normalize();
        if (!maildir.startsWith(base.normalize())) {
            // the substitutions cannot produce this (see safe), but the template's own text could
            throw new IllegalArgumentException("Maildir " + maildir + " is outside " + base);
        }
        return maildir;
    }

    /** qpsmtpd's character rule, and no '.' or '..' path segment out of an address. */
    private static String safe(String part) {
        String safe = UNSAFE.matcher(part).replaceAll("_");
        return safe.isEmpty() || safe.chars().allMatch(c -> c == '.') ? "_".repeat(Math.max(1, safe.length())) : safe;
    }
}
