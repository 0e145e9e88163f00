package io.reactivedb.migrations;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;

/**
 * The two locks a migration run waits for, each at most the runner's lock wait: the session-level
 * advisory lock {@value MigrationRunner#ADVISORY_LOCK_KEY} that serialises runners, then Liquibase's
 * {@code DATABASECHANGELOGLOCK}, whose holder a failure names. Blocking (JDBC, a poll interval):
 * startup and command line only.
 */
final class MigrationLocks {

    private static final Duration LOCK_POLL = Duration.ofMillis(200);

    private final JdbcTarget target;
    private final Duration lockWait;

    MigrationLocks(JdbcTarget target, Duration lockWait) {
        this.target = target;
        this.lockWait = lockWait;
    }

    /** Takes the session-level advisory lock on {@code connection}, waiting at most the lock wait. */
    void acquireAdvisory(String action, Connection connection) throws SQLException {
        long deadline = System.nanoTime() + lockWait.toNanos();
        try (PreparedStatement st = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            st.setLong(1, MigrationRunner.ADVISORY_LOCK_KEY);
            while (true) {
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new MigrationException(action + " failed on " + target.describe() + ": another migration run holds advisory lock "
                            + MigrationRunner.ADVISORY_LOCK_KEY + " (" + advisoryHolder(connection) + "); waited " + lockWait.toMillis() + " ms");
                }
                pause();
            }
        }
    }

    private static String advisoryHolder(Connection connection) throws SQLException {
        String sql = "SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                + " AND ((l.classid::bigint << 32) | l.objid::bigint) = ? LIMIT 1";
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            st.setLong(1, MigrationRunner.ADVISORY_LOCK_KEY);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? "pid " + rs.getInt(1) + ", application '" + rs.getString(2) + "'" : "holder unknown";
            }
        }
    }

    /** Waits, at most the lock wait, until Liquibase's changelog lock is free; fails naming its holder. */
    void awaitChangeLogLock(String action, Connection connection) throws SQLException {
        long deadline = System.nanoTime() + lockWait.toNanos();
        Optional<String> holder = lockHolder(connection);
        while (holder.isPresent()) {
            if (System.nanoTime() > deadline) {
                throw new MigrationException(action + " failed on " + target.describe() + ": stale lock held by " + holder.get()
                        + " (waited " + lockWait.toMillis() + " ms); release with `migrations release-locks`");
            }
            pause();
            holder = lockHolder(connection);
        }
    }

    /** {@code LOCKEDBY since LOCKGRANTED} when DATABASECHANGELOGLOCK is locked. */
    static Optional<String> lockHolder(Connection connection) throws SQLException {
        if (!ChangeLogTables.exists(connection, "databasechangeloglock")) {
            return Optional.empty();
        }
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT lockedby, lockgranted::timestamptz FROM databasechangeloglock WHERE id = 1 AND locked")) {
            if (!rs.next()) {
                return Optional.empty();
            }
            String by = rs.getString(1);
            OffsetDateTime since = rs.getObject(2, OffsetDateTime.class);
            return Optional.of((by == null ? "unknown" : by) + " since " + (since == null ? "unknown" : since.toInstant()));
        }
    }

    private void pause() {
        try {
            Thread.sleep(LOCK_POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrationException("interrupted while waiting for the migration lock on " + target.describe());
        }
    }
}
