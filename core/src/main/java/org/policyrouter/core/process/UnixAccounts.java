package org.policyrouter.core.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private static final UnixAccounts SYSTEM = new UnixAccounts();

    private final ProcessRunner processes = new ProcessRunner("accounts");
    private final Map<String, Cached<Optional<UnixAccount>>> users = new ConcurrentHashMap<>();
    private final Map<String, Cached<Optional<Integer>>> groups = new ConcurrentHashMap<>();

    private UnixAccounts() {
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

    /** One entry's colon-separated fields, or empty when the database has no such key. */
    private Optional<String[]> getent(String database, String key) {
        if (!NAME.matcher(key).matches()) {
            throw new IllegalArgumentException("'" + key + "' is not a valid unix name");
        }
        return run(List.of("getent", database, key)).map(line -> line.strip().split(":", -1)).map(fields -> {
            if (fields.length < (database.equals("passwd") ? 7 : 3)) {
                throw new IllegalStateException("getent " + database + " " + key + ": unexpected answer " + String.join(":", fields));
            }
            return fields;
        });
    }

    /** stdout of a lookup program, empty for "not found" (exit status 2 of getent, 1 of id). */
    private Optional<String> run(List<String> argv) {
        ProcessSpec spec = ProcessSpec.of(argv).withEnvironment(Map.of("PATH", "/usr/bin:/bin")).withTimeout(LOOKUP_TIMEOUT)
            .withStdoutLimit(64 * 1024).withStderrLimit(4096);
        ProcessResult result;
        try {
            result = processes.run(spec);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", argv) + ": interrupted");
        }
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
