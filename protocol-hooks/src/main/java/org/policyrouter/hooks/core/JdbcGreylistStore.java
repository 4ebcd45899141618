package org.policyrouter.hooks.core;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Greylisting triplets in a SQL database (PostgreSQL, MariaDB, H2 …) that every James node of a
 * cluster reaches; the JDBC driver goes into extensions-jars. One small table, created if
 * missing; expired rows are deleted every 256 saves. A database that fails makes the check
 * skip (logged), as qpsmtpd skips greylisting when its DBM cannot be opened.
 */
public final class JdbcGreylistStore implements GreylistStore {
    private static final Logger LOGGER = LoggerFactory.getLogger(JdbcGreylistStore.class);

    private final String url;
    private final String user;
    private final String password;
    private final String table;
    private final LongSupplier clock;
    private final java.util.concurrent.atomic.AtomicLong saves = new java.util.concurrent.atomic.AtomicLong();

    public JdbcGreylistStore(String url, String user, String password, String table, LongSupplier clock) {
        if (!table.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("not a table name: " + table);
        }
        this.url = url;
        this.user = user;
        this.password = password;
        this.table = table;
        this.clock = clock;
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS " + table + " (triplet VARCHAR(600) PRIMARY KEY,"
                + " seen BIGINT NOT NULL, blocked INTEGER NOT NULL, passed INTEGER NOT NULL, expires BIGINT NOT NULL)");
        } catch (SQLException e) {
            throw new IllegalStateException("greylisting database " + url + ": " + e.getMessage(), e);
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    @Override
    public Optional<GreylistRecord> find(String key) {
        try (Connection connection = connect();
             PreparedStatement select = connection.prepareStatement(
                 "SELECT seen, blocked, passed, expires FROM " + table + " WHERE triplet = ? AND expires > ?")) {
            select.setString(1, key);
            select.setLong(2, clock.getAsLong());
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(new GreylistRecord(row.getLong(1), row.getInt(2), row.getInt(3), row.getLong(4))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("greylisting database: " + e.getMessage(), e);
        }
    }

    @Override
    public void save(String key, GreylistRecord record) {
        try (Connection connection = connect()) {
            try (PreparedStatement update = connection.prepareStatement(
                "UPDATE " + table + " SET seen = ?, blocked = ?, passed = ?, expires = ? WHERE triplet = ?")) {
                bind(update, record, key);
                if (update.executeUpdate() == 0) {
                    try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO " + table + " (seen, blocked, passed, expires, triplet) VALUES (?, ?, ?, ?, ?)")) {
                        bind(insert, record, key);
                        insert.executeUpdate();
                    }
                }
            }
            if (saves.incrementAndGet() % 256 != 0) {
                return;
            }
            try (PreparedStatement purge = connection.prepareStatement("DELETE FROM " + table + " WHERE expires <= ?")) {
                purge.setLong(1, clock.getAsLong());
                purge.executeUpdate();
            }
        } catch (SQLException e) {
            LOGGER.error("greylisting database: cannot save {}: {}", key, e.getMessage());
        }
    }

    private static void bind(PreparedStatement statement, GreylistRecord record, String key) throws SQLException {
        statement.setLong(1, record.timestampMillis());
        statement.setInt(2, record.blocked());
        statement.setInt(3, record.passed());
        statement.setLong(4, record.expiresAtMillis());
        statement.setString(5, key);
    }

    @Override
    public void delete(String key) {
        try (Connection connection = connect();
             PreparedStatement delete = connection.prepareStatement("DELETE FROM " + table + " WHERE triplet = ?")) {
            delete.setString(1, key);
            delete.executeUpdate();
        } catch (SQLException e) {
            LOGGER.error("greylisting database: cannot delete {}: {}", key, e.getMessage());
        }
    }
}
