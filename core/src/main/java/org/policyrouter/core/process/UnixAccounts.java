package org.policyrouter.core.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Looks unix users and groups up through NSS ({@code getent passwd}, {@code getent group},
 * {@code id -G}), so LDAP or sssd accounts count as they do for login, and caches the answers
 * briefly: policy reloads and deliveries ask for the same few names again and again.
 * {@code user=NAME[:GROUP]} values become a {@link RunAs} here.
 */
public final class UnixAccounts {
    private static final Duration CACHE_FOR = Duration.ofSeconds(60);
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);
    /** getent(1): 2 means the key is not in the database. */
    private static final int NOT_FOUND = 2;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._-]{0,31}");
    /** Names per getent call, well below the kernel's argument limit. */
    private static final int BATCH = 500;
    private static final UnixAccounts SYSTEM = new UnixAccounts();

    private final ProcessRunner processes = new ProcessRunner("accounts");
    private final Map<String, Cached<Optional<UnixAccount>>> users = new ConcurrentHashMap<>();
    private final Map<String, Cached<Optional<Integer>>> groups = new ConcurrentHashMap<>();

    private UnixAccounts() {
    }

    /** Whether {@code name} is a unix user or group name as useradd accepts it (no leading '-', at most 32 characters). */
    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    /** The server's accounts database, shared by everything that runs programs. */
    public static UnixAccounts system() {
        return SYSTEM;
    }

    /**
     * The account named {@code name}; empty when there is none.
     *
     * @throws IllegalStateException when the lookup itself fails (NSS down, a bad name)
     */
    public Optional<UnixAccount> user(String name) {
        return cached(users, name, () -> lookUpUser(name));
    }

    /** The gid of the group named {@code name}; empty when there is none. */
    public Optional<Integer> group(String name) {
        return cached(groups, name, () -> getent("group", name).map(fields -> Integer.parseInt(fields[2])));
    }

    /**
     * Who a program configured with {@code user=NAME[:GROUP]} runs as: NAME's uid and, as Postfix's
     * pipe(8) sets them, one group only, GROUP's gid or else NAME's primary gid.
     *
     * @throws IllegalArgumentException for an unknown user or group, or one of root's ids
     */
    public RunAs runAs(String userAndGroup) {
        String[] parts = userAndGroup.split(":", 2);
        UnixAccount account = user(parts[0]).orElseThrow(() -> new IllegalArgumentException("unknown unix user '" + parts[0] + "'"));
        if (account.uid() == 0) {
            throw new IllegalArgumentException("unix user '" + parts[0] + "' has uid 0: programs never run as root");
        }
        int gid = account.gid();
        if (parts.length == 2) {
            gid = group(parts[1]).orElseThrow(() -> new IllegalArgumentException("unknown unix group '" + parts[1] + "'"));
        }
        if (gid == 0) {
            throw new IllegalArgumentException("user=" + userAndGroup + " means gid 0: programs never run with root's group");
        }
        return RunAs.of(account.uid(), gid, List.of(gid));
    }

    /**
     * Why each of {@code names} that exists must not run a program (uid 0, primary gid 0, or a
     * member of group 0): name → reason. Names without an account are left out. One lookup for
     * many names, so an aliases table of thousands of users loads quickly.
     *
     * @throws IllegalStateException when the lookup itself fails
     */
    public Map<String, String> rootLike(Collection<String> names) {
        Map<String, String> problems = new TreeMap<>();
        List<String> distinct = new ArrayList<>(new TreeSet<>(names));
        Set<String> rootGroupMembers = getent("group", "0")
            .map(fields -> Set.of(fields.length > 3 ? fields[3].split(",") : new String[0])).orElse(Set.of());
        for (int from = 0; from < distinct.size(); from += BATCH) {
            List<String> batch = distinct.subList(from, Math.min(distinct.size(), from + BATCH));
            List<String> argv = new ArrayList<>(List.of("getent", "passwd"));
            batch.forEach(name -> argv.add(checkedName(name)));
            for (String line : runKeepingPartial(argv).split("\n")) {
                String[] fields = line.split(":", -1);
                if (fields.length < 7) {
                    continue;
                }
                if (fields[2].equals("0")) {
                    problems.put(fields[0], "unix user '" + fields[0] + "' has uid 0 (root's)");
                } else if (fields[3].equals("0")) {
                    problems.put(fields[0], "unix user '" + fields[0] + "' has gid 0 (root's group)");
                }
            }
        }
        distinct.stream().filter(rootGroupMembers::contains).filter(name -> !problems.containsKey(name))
            .forEach(name -> problems.put(name, "unix user '" + name + "' is a member of group 0 (root's)"));
        return problems;
    }

    private Optional<UnixAccount> lookUpUser(String name) {
        Optional<String[]> entry = getent("passwd", name);
        if (entry.isEmpty()) {
            return Optional.empty();
        }
        String[] fields = entry.get();
        List<Integer> groupIds = new ArrayList<>();
        for (String gid : run(List.of("id", "-G", "--", name)).orElseThrow(() -> new IllegalStateException("id -G " + name + ": no such user"))
            .trim().split("\\s+")) {
            groupIds.add(Integer.parseInt(gid));
        }
        return Optional.of(new UnixAccount(fields[0], Integer.parseInt(fields[2]), Integer.parseInt(fields[3]), groupIds, fields[5], fields[6]));
    }

    private static String checkedName(String key) {
        if (!NAME.matcher(key).matches()) {
            throw new IllegalArgumentException("'" + key + "' is not a valid unix name");
        }
        return key;
    }

    /** One entry's colon-separated fields, or empty when the database has no such key. */
    private Optional<String[]> getent(String database, String key) {
        checkedName(key);
        return run(List.of("getent", database, key)).map(line -> line.strip().split(":", -1)).map(fields -> {
            if (fields.length < (database.equals("passwd") ? 7 : 3)) {
                throw new IllegalStateException("getent " + database + " " + key + ": unexpected answer " + String.join(":", fields));
            }
            return fields;
        });
    }

    /** stdout of getent for several keys: what was found, also when some were not (exit status 2). */
    private String runKeepingPartial(List<String> argv) {
        ProcessResult result = lookUp(argv);
        if (result.outcome() == ProcessResult.Outcome.EXITED && (result.exitStatus() == 0 || result.exitStatus() == NOT_FOUND)
            && !result.stdout().truncated()) {
            return result.stdout().text();
        }
        throw new IllegalStateException(String.join(" ", argv.subList(0, 2)) + " …: " + result.detail() + " " + result.stderr().text().strip());
    }

    /** stdout of a lookup program, empty for "not found" (exit status 2 of getent, 1 of id). */
    private Optional<String> run(List<String> argv) {
        ProcessResult result = lookUp(argv);
        if (result.outcome() == ProcessResult.Outcome.EXITED && result.exitStatus() == 0) {
            return Optional.of(result.stdout().text());
        }
        boolean notFound = result.outcome() == ProcessResult.Outcome.EXITED
            && result.exitStatus() == (argv.get(0).equals("getent") ? NOT_FOUND : 1);
        if (notFound) {
            return Optional.empty();
        }
        throw new IllegalStateException(String.join(" ", argv) + ": " + result.detail() + " " + result.stderr().text().strip());
    }

    private ProcessResult lookUp(List<String> argv) {
        ProcessSpec spec = ProcessSpec.of(argv).withEnvironment(Map.of("PATH", "/usr/bin:/bin")).withTimeout(LOOKUP_TIMEOUT)
            .withStdoutLimit(1024 * 1024).withStderrLimit(4096);
        try {
            return processes.run(spec);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", argv) + ": interrupted");
        }
    }

    private static <T> T cached(Map<String, Cached<T>> cache, String key, java.util.function.Supplier<T> lookUp) {
        Cached<T> hit = cache.get(key);
        if (hit != null && hit.isFresh()) {
            return hit.value;
        }
        T value = lookUp.get();
        cache.put(key, new Cached<>(value));
        return value;
    }

    /** Forgets every answer: tests that add or remove accounts call it. */
    public void forget() {
        users.clear();
        groups.clear();
    }

    private static final class Cached<T> {
        private final T value;
        private final long at = System.nanoTime();

        Cached(T value) {
            this.value = value;
        }

        boolean isFresh() {
            return System.nanoTime() - at < CACHE_FOR.toNanos();
        }
    }
}
