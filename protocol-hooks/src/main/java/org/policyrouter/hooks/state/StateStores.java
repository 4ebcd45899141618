package org.policyrouter.hooks.state;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

import org.policyrouter.core.SharedResources;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Options;

/**
 * Opens the store a check's options name, shared by every check that names the same one (one
 * connection pool per database, one Redis connection per server):
 * <pre>
 * store file                                  the default: this node only ({@code db_dir}, default per check)
 * store postgresql  jdbc_url jdbc:postgresql://db1:5432/mail  jdbc_user router  jdbc_password …
 * store redis       redis_url redis://:password@10.0.0.5:6379/0
 * store_prefix policyrouter    table-name / key prefix of the shared engines
 * store_timeout 500ms          the longest a hook waits for an answer
 * store_failure accept         or tempfail: the answer when the store fails or is late
 * </pre>
 * {@code store jdbc} is read as {@code postgresql} and {@code jdbc_timeout} as {@code store_timeout}
 * (the earlier greylisting options).
 */
public final class StateStores {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);
    public static final String DEFAULT_PREFIX = "policyrouter";
    private static final SharedResources<String, SharedStore> STORES = new SharedResources<>();

    private StateStores() {
    }

    /**
     * The check's store, or null in a configuration check (which validates the options only).
     *
     * @param defaultDirectory where the embedded store keeps its journal unless {@code db_dir} says otherwise
     * @param keepsTriplets whether the check saves greylisting triplets (the embedded journal is then opened at once)
     */
    public static StoreAccess open(CheckEnvironment environment, Options options, String defaultDirectory, boolean keepsTriplets) {
        return open(environment, options, defaultDirectory, keepsTriplets, System::currentTimeMillis);
    }

    static StoreAccess open(CheckEnvironment environment, Options options, String defaultDirectory, boolean keepsTriplets, LongSupplier clock) {
        Duration timeout = options.duration("store_timeout", options.duration("jdbc_timeout", DEFAULT_TIMEOUT));
        if (timeout.isZero() || timeout.isNegative()) {
            throw options.invalid("store_timeout", timeout.toMillis() + "ms", "allowed: the hook would not wait at all");
        }
        StoreFailure failure = StoreFailure.from(options);
        String prefix = options.string("store_prefix", DEFAULT_PREFIX);
        if (!prefix.matches("[A-Za-z_][A-Za-z0-9_]{0,40}")) {
            throw options.invalid("store_prefix", prefix, "a name of letters, digits and _ (it names tables and keys)");
        }
        String kind = options.string("store", "file").toLowerCase(Locale.ROOT);
        switch (kind) {
            case "postgresql":
            case "jdbc": {
                String url = options.get("jdbc_url").orElseThrow(() -> options.invalid("jdbc_url", "", "set (store " + kind + " needs it)"));
                if (!url.startsWith("jdbc:postgresql:")) {
                    throw options.invalid("jdbc_url", url, "a PostgreSQL URL (jdbc:postgresql://HOST:5432/DATABASE)");
                }
                String user = options.string("jdbc_user", "");
                String password = options.string("jdbc_password", "");
                return environment.opensStores() ? new StoreAccess(STORES.acquire("jdbc " + url + " " + prefix,
                    () -> new SharedStore(new JdbcStateStore(url, user, password, prefix, timeout, clock))), timeout, failure) : null;
            }
            case "redis": {
                String url = options.get("redis_url").orElseThrow(() -> options.invalid("redis_url", "", "set (store redis needs it)"));
                if (!url.matches("rediss?://.+")) {
                    throw options.invalid("redis_url", url, "a Redis URL (redis://[:PASSWORD@]HOST:6379/DB)");
                }
                return environment.opensStores() ? new StoreAccess(STORES.acquire("redis " + url + " " + prefix,
                    () -> new SharedStore(new RedisStateStore(url, prefix, timeout, clock))), timeout, failure) : null;
            }
            case "file":
            case "embedded": {
                Path directory = environment.path(options.string("db_dir", defaultDirectory)).toAbsolutePath().normalize();
                int maxEntries = options.integer("max_entries", 100000);
                if (!environment.opensStores()) {
                    return null;
                }
                StoreAccess access = new StoreAccess(STORES.acquire("embedded " + directory,
                    () -> new SharedStore(new EmbeddedStateStore(directory, maxEntries, clock))), timeout, failure);
                try {
                    if (keepsTriplets) {
                        ((EmbeddedStateStore) access.store()).openJournal();
                    }
                } catch (RuntimeException e) {
                    access.close();
                    throw e;
                }
                return access;
            }
            default:
                throw options.invalid("store", kind, "file, postgresql or redis");
        }
    }

    /** The shared engines (PostgreSQL, Redis) open now, for the health check; the embedded ones cannot fail. */
    static java.util.List<SharedStore> shared() {
        return STORES.created().stream().filter(store -> !(store.store() instanceof EmbeddedStateStore))
            .collect(java.util.stream.Collectors.toList());
    }

    /** How many stores the checks share now. */
    public static int openStores() {
        return STORES.size();
    }
}
