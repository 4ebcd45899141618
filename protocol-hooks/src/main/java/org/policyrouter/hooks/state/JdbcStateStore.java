package org.policyrouter.hooks.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.policyrouter.hooks.core.BlockingCalls;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * The shared state in PostgreSQL, which every node of a cluster reaches: three small tables,
 * {@code <prefix>_greylist}, {@code <prefix>_counters} and {@code <prefix>_slots}, created if
 * missing. A table that exists with other columns stops the start (IllegalStateException naming
 * the table and the column), as does a database that cannot be reached, so an operator sees it at
 * once rather than at the first mail. Every row carries its expiry in milliseconds on the store's
 * clock: reads ignore expired rows and writes delete them now and then (every 256 writes of a
 * table), so nothing needs an operator's cleanup.
 *
 * <p>Each operation is one atomic statement (or two for a slot), never a transaction across
 * calls: a counter is {@code INSERT … ON CONFLICT … DO UPDATE SET total = total + amount RETURNING
 * total}, so the additions of all nodes are counted exactly once; its key carries the window's
 * index ({@code clock / window}), so a new window starts from zero without a reset.
 *
 * <p>No statement runs on the caller's thread (a Netty I/O thread): each runs on this store's own
 * threads ({@link BlockingCalls}: four lanes of one thread for triplets, a triplet always in the same lane so its calls keep their order, and four threads for counters and slots; a full queue fails the call at
 * once) over pooled connections (HikariCP, shipped in our jar). {@code timeout} bounds everything
 * that could hang on a database that stopped answering: the returned future fails after it, a call
 * that waited longer in the queue is dropped unrun, and it is the pool's connection and validation
 * timeout, the server's statement_timeout and the driver's socket, connect and login timeouts
 * (whole seconds, at least one), so a frozen server frees the threads too, and the pool reconnects
 * by itself once the server is back. The driver class is named to the pool because James loads
 * extensions in a child class loader, which {@code DriverManager} alone may not search.
 */
public final class JdbcStateStore implements StateStore {
    private static final long HIKARI_MINIMUM_TIMEOUT_MILLIS = 250;
    private static final int SWEEP_EVERY = 256;
    /** Opening a connection happens on the pool's threads, never a hook's: it may take this long. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final String url;
    private final String greylist;
    private final String counters;
    private final String slots;
    private final Duration timeout;
    private final LongSupplier clock;
    private final AtomicLong greylistWrites = new AtomicLong();
    private final AtomicLong counterWrites = new AtomicLong();
    private final AtomicLong slotWrites = new AtomicLong();
    private final HikariDataSource pool;
    /**
     * Triplets: one thread per lane, a triplet always in the same lane, so its calls run in the order
     * they were made (a save before the next read), other triplets in parallel. Counters and slots
     * are single atomic statements whose order does not matter: any of four threads runs them, so a
     * busy client's counters are not queued behind each other.
     */
    private final List<BlockingCalls> lanes = IntStream.rangeClosed(1, 4)
        .mapToObj(lane -> new BlockingCalls("state-db-" + lane, 1, 250)).collect(Collectors.toList());
    private final BlockingCalls counting = new BlockingCalls("state-db-count", 4, 1000);

    public JdbcStateStore(String url, String user, String password, String tablePrefix, Duration timeout, LongSupplier clock) {
        if (tablePrefix == null || !tablePrefix.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("not a table prefix: " + tablePrefix);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("not a timeout: " + timeout);
        }
        this.url = withoutCredentials(url);
        this.greylist = tablePrefix + "_greylist";
        this.counters = tablePrefix + "_counters";
        this.slots = tablePrefix + "_slots";
        this.timeout = timeout;
        this.clock = clock;
        this.pool = new HikariDataSource(poolConfiguration(url, user, password, timeout));
        try {
            // a new connection on a loaded machine can take longer than a hook may wait: the start waits
            // longer on a connection of its own (the pool's wait for a connection is fixed when it is made)
            try (Connection connection = startConnection(url, user, password)) {
                createTables(connection);
            }
        } catch (SQLException e) {
            close();
            // the pool's timeout names the connection failure behind it as its cause
            String cause = e.getCause() == null || e.getCause() == e ? "" : " (" + e.getCause().getMessage() + ")";
            throw new IllegalStateException("state store database " + this.url + ": " + e.getMessage() + cause, e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static HikariConfig poolConfiguration(String url, String user, String password, Duration timeout) {
        HikariConfig config = new HikariConfig();
        config.setDriverClassName("org.postgresql.Driver");
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setPoolName("policyrouter-state-db");
        config.setMaximumPoolSize(8);
        config.setMinimumIdle(1);
        long millis = Math.max(HIKARI_MINIMUM_TIMEOUT_MILLIS, timeout.toMillis());
        config.setConnectionTimeout(millis);
        config.setValidationTimeout(millis);
        // passed to the driver as connection properties (a URL parameter of the same name wins)
        String seconds = String.valueOf(seconds(timeout));
        config.addDataSourceProperty("socketTimeout", seconds);
        config.addDataSourceProperty("connectTimeout", String.valueOf(seconds(CONNECT_TIMEOUT)));
        config.addDataSourceProperty("loginTimeout", String.valueOf(seconds(CONNECT_TIMEOUT)));
        config.addDataSourceProperty("ApplicationName", "policyrouter");
        // the state of the last second of SMTP sessions is not worth a WAL flush per command: a crash of the
        // database may lose it (one more deferral, a count restarted), never its consistency. The server
        // ends a statement past the timeout itself (a client-side query timeout costs a timer task per
        // statement); a server that stopped answering altogether is the socket timeout's
        config.addDataSourceProperty("options", "-c synchronous_commit=off -c statement_timeout=" + Math.max(1, timeout.toMillis()));
        // the constructor creates the tables and reports an unreachable database itself
        config.setInitializationFailTimeout(-1);
        AtomicInteger count = new AtomicInteger();
        config.setThreadFactory(runnable -> {
            Thread thread = new Thread(runnable, "policyrouter-state-pool-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        return config;
    }

    private static int seconds(Duration timeout) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (timeout.toMillis() + 999) / 1000));
    }

    /** The URL as logs may show it: without a user or password parameter, nor user information before the host. */
    static String withoutCredentials(String url) {
        String bare = url.replaceFirst("//[^/?#@]*@", "//");
        int query = bare.indexOf('?');
        if (query < 0) {
            return bare;
        }
        List<String> kept = new ArrayList<>();
        for (String parameter : bare.substring(query + 1).split("&")) {
            String name = parameter.split("=", 2)[0].toLowerCase(Locale.ROOT);
            if (!parameter.isEmpty() && !name.equals("user") && !name.contains("password")) {
                kept.add(parameter);
            }
        }
        return bare.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
    }

    private static Connection startConnection(String url, String user, String password) throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        if (user != null && !user.isEmpty()) {
            properties.setProperty("user", user);
        }
        if (password != null && !password.isEmpty()) {
            properties.setProperty("password", password);
        }
        String seconds = String.valueOf(seconds(CONNECT_TIMEOUT));
        for (String name : List.of("connectTimeout", "loginTimeout", "socketTimeout")) {
            properties.setProperty(name, seconds);
        }
        properties.setProperty("ApplicationName", "policyrouter");
        Connection connection = new org.postgresql.Driver().connect(url, properties);
        if (connection == null) {
            throw new SQLException("not a PostgreSQL URL (jdbc:postgresql://HOST:PORT/DATABASE)");
        }
        return connection;
    }

    private void createTables(Connection connection) throws SQLException {
        create(connection, greylist, "(triplet TEXT PRIMARY KEY, seen BIGINT NOT NULL, blocked INTEGER NOT NULL,"
            + " passed INTEGER NOT NULL, expires BIGINT NOT NULL)");
        // counters and slots are updated in place many times a second: room on their pages keeps each
        // update on its page (HOT), without a new index entry
        create(connection, counters, "(counter TEXT PRIMARY KEY, total BIGINT NOT NULL, expires BIGINT NOT NULL) WITH (fillfactor = 50)");
        create(connection, slots, "(slot_key TEXT NOT NULL, slot_id TEXT NOT NULL, expires BIGINT NOT NULL,"
            + " PRIMARY KEY (slot_key, slot_id)) WITH (fillfactor = 50)");
        check(connection, greylist, Set.of("triplet"), "triplet", "seen", "blocked", "passed", "expires");
        check(connection, counters, Set.of("counter"), "counter", "total", "expires");
        check(connection, slots, Set.of("slot_key", "slot_id"), "slot_key", "slot_id", "expires");
    }

    private void create(Connection connection, String table, String columns) throws SQLException {
        String sql = "CREATE TABLE IF NOT EXISTS " + table + " " + columns;
        try (Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(seconds(timeout));
            try {
                statement.execute(sql);
            } catch (SQLException e) {
                // two nodes starting at once: IF NOT EXISTS is not atomic, the loser sees a duplicate
                if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
                    throw e;
                }
                statement.execute(sql);
            }
        }
    }

    /** The table resolved as the statements resolve it (search_path) has the columns, and the unique key ON CONFLICT needs. */
    private void check(Connection connection, String table, Set<String> key, String... columns) throws SQLException {
        Set<String> present = new HashSet<>();
        try (Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(seconds(timeout));
            try (ResultSet none = statement.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
                ResultSetMetaData meta = none.getMetaData();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    present.add(meta.getColumnName(i).toLowerCase(Locale.ROOT));
                }
            }
        }
        for (String column : columns) {
            if (!present.contains(column)) {
                throw new IllegalStateException("state store database " + url + ": table " + table + " exists without column "
                    + column + " (it has " + new java.util.TreeSet<>(present) + "): drop or rename it, or choose another table prefix");
            }
        }
        try (PreparedStatement unique = connection.prepareStatement(
            "SELECT ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))"
                + " FROM pg_index i WHERE i.indrelid = to_regclass(?) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL")) {
            unique.setQueryTimeout(seconds(timeout));
            unique.setString(1, table);
            try (ResultSet rows = unique.executeQuery()) {
                while (rows.next()) {
                    Set<String> indexed = new HashSet<>();
                    for (Object column : (Object[]) rows.getArray(1).getArray()) {
                        indexed.add(String.valueOf(column));
                    }
                    if (indexed.equals(key)) {
                        return;
                    }
                }
            }
        }
        throw new IllegalStateException("state store database " + url + ": table " + table + " has no primary key or unique index on "
            + String.join(", ", new java.util.TreeSet<>(key)) + ": drop or rename it, or choose another table prefix");
    }

    @Override
    public CompletableFuture<Optional<GreylistRecord>> findTriplet(String key) {
        return call(key, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                "SELECT seen, blocked, passed, expires FROM " + greylist + " WHERE triplet = ? AND expires > ?")) {
                select.setString(1, key);
                select.setLong(2, clock.getAsLong());
                try (ResultSet row = select.executeQuery()) {
                    return row.next()
                        ? Optional.of(new GreylistRecord(row.getLong(1), row.getInt(2), row.getInt(3), row.getLong(4)))
                        : Optional.<GreylistRecord>empty();
                }
            }
        });
    }

    @Override
    public CompletableFuture<Void> saveTriplet(String key, GreylistRecord record) {
        return call(key, connection -> {
            try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO " + greylist + " (triplet, seen, blocked, passed, expires)"
                + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (triplet) DO UPDATE SET seen = EXCLUDED.seen, blocked = EXCLUDED.blocked,"
                + " passed = EXCLUDED.passed, expires = EXCLUDED.expires")) {
                upsert.setString(1, key);
                upsert.setLong(2, record.timestampMillis());
                upsert.setInt(3, record.blocked());
                upsert.setInt(4, record.passed());
                upsert.setLong(5, record.expiresAtMillis());
                upsert.executeUpdate();
            }
            sweepNowAndThen(connection, greylist, greylistWrites);
            return null;
        });
    }

    @Override
    public CompletableFuture<Long> addToWindow(String key, long amount, Duration window) {
        return addToWindows(List.of(new WindowCount(key, amount, window))).thenApply(totals -> totals.get(0));
    }

    /** All the counters in one statement, so one round trip and one row lock each, whatever their number. */
    @Override
    public CompletableFuture<List<Long>> addToWindows(List<WindowCount> counts) {
        return call(null, connection -> {
            long now = clock.getAsLong();
            List<String> rows = new ArrayList<>(counts.size());
            // sorted: every statement locks the rows it shares with another in the same order, so none deadlocks
            SortedMap<String, Long> amounts = new TreeMap<>();
            SortedMap<String, Long> expiries = new TreeMap<>();
            for (WindowCount count : counts) {
                long windowMillis = Math.max(1, count.window().toMillis());
                long index = Math.floorDiv(now, windowMillis);
                // the window's length and index end the row's key: digits only, so no two keys can meet
                String row = count.key() + "|" + windowMillis + "|" + index;
                rows.add(row);
                amounts.merge(row, count.amount(), Long::sum);
                expiries.put(row, (index + 1) * windowMillis);
            }
            Map<String, Long> totals = new HashMap<>();
            try (PreparedStatement add = connection.prepareStatement("INSERT INTO " + counters + " AS t (counter, total, expires)"
                + " SELECT * FROM unnest(?::text[], ?::bigint[], ?::bigint[])"
                + " ON CONFLICT (counter) DO UPDATE SET total = t.total + EXCLUDED.total RETURNING counter, total")) {
                add.setArray(1, connection.createArrayOf("text", amounts.keySet().toArray()));
                add.setArray(2, connection.createArrayOf("bigint", amounts.values().toArray()));
                add.setArray(3, connection.createArrayOf("bigint", expiries.values().toArray()));
                try (ResultSet row = add.executeQuery()) {
                    while (row.next()) {
                        totals.put(row.getString(1), row.getLong(2));
                    }
                }
            }
            sweepNowAndThen(connection, counters, counterWrites);
            // a row counted twice in one call: the earlier addition answers the total without the later ones
            Long[] answers = new Long[rows.size()];
            for (int i = rows.size() - 1; i >= 0; i--) {
                String row = rows.get(i);
                answers[i] = totals.get(row);
                totals.put(row, answers[i] - counts.get(i).amount());
            }
            return List.of(answers);
        });
    }

    @Override
    public CompletableFuture<Integer> openSlot(String key, String slotId, Duration ttl) {
        return call(null, connection -> {
            long now = clock.getAsLong();
            // one statement, one round trip; its parts all read the snapshot before it, so the count
            // takes the key's other live slots and adds this one, new or refreshed. A closed slot's row
            // stays (expires 0) and is updated in place when its id is reused; the sweep deletes the rest
            try (PreparedStatement open = connection.prepareStatement("WITH kept AS (INSERT INTO " + slots + " (slot_key, slot_id, expires)"
                + " VALUES (?, ?, ?) ON CONFLICT (slot_key, slot_id) DO UPDATE SET expires = EXCLUDED.expires)"
                + " SELECT count(*) + 1 FROM " + slots + " WHERE slot_key = ? AND expires > ? AND slot_id <> ?")) {
                open.setString(1, key);
                open.setString(2, slotId);
                open.setLong(3, now + ttl.toMillis());
                open.setString(4, key);
                open.setLong(5, now);
                open.setString(6, slotId);
                try (ResultSet row = open.executeQuery()) {
                    row.next();
                    int count = (int) row.getLong(1);
                    sweepNowAndThen(connection, slots, slotWrites);
                    return count;
                }
            }
        });
    }

    @Override
    public CompletableFuture<Void> closeSlot(String key, String slotId) {
        return call(null, connection -> {
            // expired rather than deleted: the row is updated in place (no new index entry) when the id is reused
            try (PreparedStatement close = connection.prepareStatement("UPDATE " + slots + " SET expires = 0 WHERE slot_key = ? AND slot_id = ?")) {
                close.setString(1, key);
                close.setString(2, slotId);
                close.executeUpdate();
            }
            return null;
        });
    }

    private void sweepNowAndThen(Connection connection, String table, AtomicLong writes) throws SQLException {
        if (writes.incrementAndGet() % SWEEP_EVERY == 0) {
            try (PreparedStatement sweep = connection.prepareStatement("DELETE FROM " + table + " WHERE expires <= ?")) {
                sweep.setLong(1, clock.getAsLong());
                sweep.executeUpdate();
            }
        }
    }

    private interface Work<T> {
        T on(Connection connection) throws SQLException;
    }

    /**
     * The work on a pooled connection, on this store's threads; the future fails after {@code
     * timeout}, and work that waited that long in the queue is not run at all (its caller has given up).
     * Statements need no timeout of their own: the server ends them after it (statement_timeout).
     *
     * @param triplet the triplet whose lane runs the call, or null for any of the counting threads
     */
    private <T> CompletableFuture<T> call(String triplet, Work<T> work) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Callable<T> task = () -> {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("waited " + timeout.toMillis() + " ms for a free database thread");
            }
            try (Connection connection = pool.getConnection()) {
                return work.on(connection);
            }
        };
        BlockingCalls threads = triplet == null ? counting : lanes.get(Math.floorMod(triplet.hashCode(), lanes.size()));
        return threads.submit(task).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** {@code postgresql jdbc:postgresql://10.0.0.5:5432/mail}: no user or password. */
    @Override
    public String describe() {
        return "postgresql " + url;
    }

    /** Ends the store's threads (interrupting calls still running) and closes its connections. */
    @Override
    public void close() {
        lanes.forEach(BlockingCalls::close);
        counting.close();
        pool.close();
    }
}
