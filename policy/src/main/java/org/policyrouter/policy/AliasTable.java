package org.policyrouter.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import org.policyrouter.core.process.UnixAccounts;

/**
 * The {@code aliases} table: {@code virtual-user unix-user}, local parts only, for the MDA. The
 * virtual side is an exact local part, a {@code /regex/} searched in the local part, or a bare
 * pattern with regex characters ({@code .*master}) that must match the whole local part. Exact
 * entries win; then regexes in file order. Local parts are matched case-insensitively.
 *
 * <p>As the router spec demands, a table with entries must have one for {@code root}, and no
 * entry may map to root: the MDA never delivers as root.
 */
public final class AliasTable {
    public static final AliasTable EMPTY = new AliasTable(Map.of(), List.of());

    /**
     * Characters that make a bare virtual user a regex. Not '.', '+' or '-': they are common in
     * real local parts ({@code john.doe}, {@code max+lists}); write {@code /.../} for those.
     */
    private static final String REGEX_CHARACTERS = "*?[](){}|^$\\";
    /** A portable user name (POSIX): what useradd accepts, without '$'. */
    private static final Pattern UNIX_USER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    private final Map<String, AliasEntry> exact;
    private final List<AliasEntry> regexes;

    private AliasTable(Map<String, AliasEntry> exact, List<AliasEntry> regexes) {
        this.exact = Map.copyOf(exact);
        this.regexes = List.copyOf(regexes);
    }

    static AliasTable parse(PolicyFile file, PolicyErrors errors) {
        Map<String, AliasEntry> exact = new HashMap<>();
        List<AliasEntry> regexes = new ArrayList<>();
        Map<String, Integer> regexLines = new HashMap<>();
        Map<String, List<Integer>> linesOfUser = new HashMap<>();
        file.parseEach(errors, line -> {
            if (line.fields().size() != 2) {
                throw new IllegalArgumentException("expected 'virtual-user unix-user'");
            }
            String virtual = line.fields().get(0);
            String unixUser = checkedUnixUser(line.fields().get(1));
            String rule = file.name() + ":" + line.number();
            linesOfUser.computeIfAbsent(unixUser, user -> new ArrayList<>()).add(line.number());
            if (isRegex(virtual)) {
                Integer first = regexLines.putIfAbsent(virtual, line.number());
                if (first != null) {
                    throw new IllegalArgumentException("duplicate entry for '" + virtual + "' (line " + first + ")");
                }
                regexes.add(AliasEntry.regex(virtual, unixUser, rule));
                return;
            }
            if (virtual.indexOf('@') >= 0) {
                throw new IllegalArgumentException("'" + virtual + "' has a domain: aliases take local parts only");
            }
            AliasEntry entry = AliasEntry.exact(virtual, unixUser, rule);
            AliasEntry first = exact.putIfAbsent(entry.key(), entry);
            if (first != null) {
                throw new IllegalArgumentException("duplicate entry for '" + virtual + "' (" + first.rule() + ")");
            }
        });
        refuseRootAccounts(file, linesOfUser, errors);
        if (!(exact.isEmpty() && regexes.isEmpty()) && !exact.containsKey("root")) {
            errors.add(file.name(), 1, "no entry for root: the MDA never delivers to root, so name the user who gets root's mail (e.g. 'root max')");
        }
        return new AliasTable(exact, regexes);
    }

    /**
     * The literal name root is refused line by line; a second name for uid 0 (BSD's {@code toor})
     * or an account in root's group is only known to the accounts database, asked here once for
     * all the table's users. A user without an account is not an error here: accounts may come
     * later (the delivery then fails with 5.1.1).
     */
    private static void refuseRootAccounts(PolicyFile file, Map<String, List<Integer>> linesOfUser, PolicyErrors errors) {
        if (linesOfUser.isEmpty()) {
            return;
        }
        Map<String, String> rootLike;
        try {
            rootLike = UnixAccounts.system().rootLike(linesOfUser.keySet());
        } catch (IllegalStateException e) {
            errors.add(file.name(), linesOfUser.values().iterator().next().get(0), "cannot check the unix users: " + e.getMessage());
            return;
        }
        Map<Integer, String> byLine = new java.util.TreeMap<>();
        rootLike.forEach((user, problem) -> linesOfUser.get(user).forEach(line -> byLine.put(line, problem)));
        byLine.forEach((line, problem) -> errors.add(file.name(), line, problem + ": the MDA never delivers as root"));
    }

    private static boolean isRegex(String virtual) {
        return virtual.chars().anyMatch(c -> REGEX_CHARACTERS.indexOf(c) >= 0)
            || (virtual.length() >= 2 && virtual.startsWith("/") && virtual.endsWith("/"));
    }

    private static String checkedUnixUser(String unixUser) {
        if (unixUser.equalsIgnoreCase("root")) {
            throw new IllegalArgumentException("mapping to root is refused: the MDA never delivers to root");
        }
        if (DIGITS.matcher(unixUser).matches()) {
            // a numeric name is taken as a uid by many tools, and uid 0 is root
            throw new IllegalArgumentException("unix user '" + unixUser + "' is a number: give a user name");
        }
        if (!UNIX_USER.matcher(unixUser).matches()) {
            throw new IllegalArgumentException("'" + unixUser + "' is not a valid unix user name");
        }
        return unixUser;
    }

    /** The unix user for {@code localPart}, or a 5.1.1 failure when no entry matches. */
    public AliasResult lookup(String localPart) {
        String key = localPart.toLowerCase(Locale.ROOT);
        AliasEntry entry = exact.get(key);
        if (entry == null) {
            entry = regexes.stream().filter(e -> e.matches(key)).findFirst().orElse(null);
        }
        return entry == null ? AliasResult.unknown(localPart) : AliasResult.user(entry.unixUser(), entry.rule());
    }

    public boolean isEmpty() {
        return exact.isEmpty() && regexes.isEmpty();
    }

    public int size() {
        return exact.size() + regexes.size();
    }
}
