package org.policyrouter.hooks.core;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.policyrouter.core.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Greylisting triplets in a SQL database (PostgreSQL, MariaDB, H2 …) that every James node of a
 * cluster reaches; the JDBC driver goes into extensions-jars. One small table, created if
 * missing; expired rows are deleted every 256 saves.
 *
 * <p>Hooks run on Netty I/O threads, so no statement runs there: each runs on this store's own
 * threads ({@link BlockingCalls}, {@code policyrouter-greylist-db-N}) over pooled connections
 * (HikariCP, shipped in our jar: James 3.8.1 ships no JDBC pool), and the hook waits for it at
 * most {@code timeout} ({@link Deadline}), as it waits for DNS. The same bound is the pool's
 * connect timeout and each statement's query timeout, so a hung database frees the threads too.
 * A database that fails or does not answer in time makes the check skip (logged): the client is
 * not greylisted, as qpsmtpd skips greylisting when its database cannot be opened.
 */
public final class JdbcGreylistStore implements GreylistStore {
    private static final Logger LOGGER = LoggerFactory.getLogger(JdbcGreylistStore.class);
    private static final long HIKARI_MINIMUM_TIMEOUT_MILLIS = 250;

    private final String table;
    private final Duration timeout;
    private final LongSupplier clock;
    private final AtomicLong saves = new AtomicLong();
    private final HikariDataSource pool;
    private final BlockingCalls calls = new BlockingCalls("greylist-db", 4, 1000);

    public JdbcGreylistStore(String url, String user, String password, String table, Duration timeout, LongSupplier clock) {
        if (!table.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("not a table name: " + table);
        }
        this.table = table;
        this.timeout = timeout;
        this.clock = clock;
        this.pool = new HikariDataSource(poolConfiguration(url, user, password, timeout));
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(timeoutSeconds());
            statement.execute("CREATE TABLE IF NOT EXISTS " + table + " (triplet VARCHAR(600) PRIMARY KEY,"
                + " seen BIGINT NOT NULL, blocked INTEGER NOT NULL, passed INTEGER NOT NULL, expires BIGINT NOT NULL)");
        } catch (SQLException e) {
            close();
            // the pool's timeout names the connection failure behind it as its cause
            String cause = e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")";
            throw new IllegalStateException("greylisting database " + url + ": " + e.getMessage() + cause, e);
        }
    }

    private static HikariConfig poolConfiguration(String url, String user, String password, Duration timeout) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setPoolName("policyrouter-greylist-db");
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        long millis = Math.max(HIKARI_MINIMUM_TIMEOUT_MILLIS, timeout.toMillis());
        config.setConnectionTimeout(millis);
        config.setValidationTimeout(millis);
        // the table is created in the constructor, which reports an unreachable database itself
        config.setInitializationFailTimeout(-1);
        AtomicInteger count = new AtomicInteger();
        config.setThreadFactory(runnable -> {
            Thread thread = new Thread(runnable, "policyrouter-greylist-pool-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        return config;
    }

    private int timeoutSeconds() {
        return (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
    }

    @Override
    public Optional<GreylistRecord> find(String key) {
        return awaited(calls.submit(() -> select(key)), "find " + key);
    }

    @Override
    public void save(String key, GreylistRecord record) {
        try {
            awaited(calls.submit(() -> upsert(key, record)), "save " + key);
        } catch (IllegalStateException e) {
            LOGGER.error("greylisting database: cannot save {}: {}", LogText.escape(key), e.getMessage());
        }
    }

    @Override
    public void delete(String key) {
        try {
            awaited(calls.submit(() -> remove(key)), "delete " + key);
        } catch (IllegalStateException e) {
            LOGGER.error("greylisting database: cannot delete {}: {}", LogText.escape(key), e.getMessage());
        }
    }

    /** The call's result within the bound; IllegalStateException saying why not. */
    private <T> T awaited(CompletableFuture<T> call, String what) {
        return Deadline.after(timeout).await(call).orElseThrow(() -> new IllegalStateException(
            "greylisting database: " + LogText.escape(what) + ": " + failure(call)));
    }

    private String failure(CompletableFuture<?> call) {
        if (!call.isDone()) {
            return "no answer within " + timeout.toMillis() + " ms";
        }
        try {
            call.join();
            return "no result";
        } catch (CompletionException e) {
            return String.valueOf(e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
        }
    }

    private Optional<GreylistRecord> select(String key) throws SQLException {
        try (Connection connection = pool.getConnection();
             PreparedStatement select = prepare(connection, "SELECT seen, blocked, passed, expires FROM " + table + " WHERE triplet = ? AND expires > ?")) {
            select.setString(1, key);
            select.setLong(2, clock.getAsLong());
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(new GreylistRecord(row.getLong(1), row.getInt(2), row.getInt(3), row.getLong(4))) : Optional.empty();
            }
        }
    }

    private Boolean upsert(String key, GreylistRecord record) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            try (PreparedStatement update = prepare(connection,
                "UPDATE " + table + " SET seen = ?, blocked = ?, passed = ?, expires = ? WHERE triplet = ?")) {
                bind(update, record, key);
                if (update.executeUpdate() == 0) {
                    try (PreparedStatement insert = prepare(connection,
                        "INSERT INTO " + table + " (seen, blocked, passed, expires, triplet) VALUES (?, ?, ?, ?, ?)")) {
                        bind(insert, record, key);
                        insert.executeUpdate();
                    }
                }
            }
            if (saves.incrementAndGet() % 256 == 0) {
                try (PreparedStatement purge = prepare(connection, "DELETE FROM " + table + " WHERE expires <= ?")) {
                    purge.setLong(1, clock.getAsLong());
                    purge.executeUpdate();
                }
            }
            return Boolean.TRUE;
        }
    }

    private Boolean remove(String key) throws SQLException {
        try (Connection connection = pool.getConnection();
             PreparedStatement delete = prepare(connection, "DELETE FROM " + table + " WHERE triplet = ?")) {
            delete.setString(1, key);
            delete.executeUpdate();
            return Boolean.TRUE;
        }
    }

    private PreparedStatement prepare(Connection connection, String sql) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        statement.setQueryTimeout(timeoutSeconds());
        return statement;
    }

    private static void bind(PreparedStatement statement, GreylistRecord record, String key) throws SQLException {
        statement.setLong(1, record.timestampMillis());
        statement.setInt(2, record.blocked());
        statement.setInt(3, record.passed());
        statement.setLong(4, record.expiresAtMillis());
        statement.setString(5, key);
    }

    /** Ends the store's threads and closes its connections; called when the last check using it is destroyed. */
    @Override
    public void close() {
        calls.close();
        pool.close();
    }
}
