package io.reactivedb.migrations;

import java.sql.SQLException;

import org.jspecify.annotations.Nullable;

import liquibase.exception.LockException;

/** How a failed migration run is reported: one message naming the target, the change set and the SQLSTATE. */
final class MigrationErrors {

    private MigrationErrors() {
    }

    /**
     * A {@link MigrationException} for {@code action} on the target: the first SQLSTATE and message in the cause
     * chain (else the root message), the change set that ran, and the release hint when Liquibase's lock was in the way.
     */
    static MigrationException translate(String action, JdbcTarget target, @Nullable ChangeSetRef changeSet, Exception e) {
        String sqlState = null;
        String reason = null;
        boolean lock = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sqlState == null) {
                sqlState = sql.getSQLState();
                reason = sql.getMessage();
            }
            if (t instanceof LockException) {
                lock = true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        if (reason == null) {
            reason = rootMessage(e);
        }
        StringBuilder message = new StringBuilder(action).append(" failed on ").append(target.describe());
        if (changeSet != null) {
            message.append(" at change set ").append(changeSet);
        }
        message.append(": ").append(reason).append(sqlStateSuffix(sqlState));
        if (lock) {
            message.append("; if no migration is running, release the lock with `migrations release-locks`");
        }
        return new MigrationException(message.toString(), changeSet, sqlState, e);
    }

    private static String rootMessage(Throwable e) {
        String message = e.getMessage();
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message == null ? e.getClass().getSimpleName() : message.strip();
    }

    /** A failure of a plain JDBC step, outside Liquibase: the driver's message and SQLSTATE. */
    static MigrationException jdbc(String action, JdbcTarget target, SQLException e) {
        return new MigrationException(action + " failed on " + target.describe() + ": " + e.getMessage() + sqlStateSuffix(e.getSQLState()),
                null, e.getSQLState(), e);
    }

    private static String sqlStateSuffix(@Nullable String sqlState) {
        return sqlState == null ? "" : " (SQLSTATE " + sqlState + ")";
    }
}
