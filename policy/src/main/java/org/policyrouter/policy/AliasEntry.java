package org.policyrouter.policy;

import java.util.Locale;

import com.google.re2j.Pattern;

/** One line of {@code aliases}: an exact local part or a regex, and the unix user it maps to. */
final class AliasEntry {
    private final String key;
    private final Pattern regex;
    /** A {@code /regex/} is searched, like everywhere in the policy; a bare pattern must match whole. */
    private final boolean searched;
    private final String unixUser;
    private final String rule;

    private AliasEntry(String key, Pattern regex, boolean searched, String unixUser, String rule) {
        this.key = key;
        this.regex = regex;
        this.searched = searched;
        this.unixUser = unixUser;
        this.rule = rule;
    }

    static AliasEntry exact(String localPart, String unixUser, String rule) {
        return new AliasEntry(localPart.toLowerCase(Locale.ROOT), null, false, unixUser, rule);
    }

    /** @throws IllegalArgumentException for an invalid or oversized regex */
    static AliasEntry regex(String written, String unixUser, String rule) {
        boolean slashes = written.length() >= 2 && written.startsWith("/") && written.endsWith("/");
        String body = slashes ? written.substring(1, written.length() - 1) : written;
        if (body.isEmpty()) {
            throw new IllegalArgumentException("empty regex '" + written + "'");
        }
        return new AliasEntry(written, SafeRegex.compile(body, written), slashes, unixUser, rule);
    }

    /** @param lowerLocalPart the local part, lower-cased */
    boolean matches(String lowerLocalPart) {
        if (regex == null) {
            return key.equals(lowerLocalPart);
        }
        return searched ? regex.matcher(lowerLocalPart).find() : regex.matches(lowerLocalPart);
    }

    String key() {
        return key;
    }

    String unixUser() {
        return unixUser;
    }

    String rule() {
        return rule;
    }
}
