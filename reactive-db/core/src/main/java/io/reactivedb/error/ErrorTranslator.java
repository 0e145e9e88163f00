package io.reactivedb.error;

import io.r2dbc.postgresql.api.ErrorDetails;
import io.r2dbc.postgresql.api.PostgresqlException;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The one place where driver, pool and network failures become {@link ReactiveDbException}s.
 *
 * <p>Classification looks at the root cause, never at a wrapper: r2dbc-postgresql reports lost
 * connections ({@code 08xxx}), admin shutdown ({@code 57P01}) and statement timeouts
 * ({@code 57014}) as non-transient types, so the SQLSTATE decides, not the exception class.
 */
public final class ErrorTranslator {

    /** SQLSTATEs that say the server or the connection went away, not that the statement was wrong. */
    private static final Set<String> CONNECTION_STATES = Set.of("57P01", "57P02", "57P03", "53300");
    private static final Set<String> SERIALIZATION_STATES = Set.of("40001", "40P01");
    private static final String PROTOCOL_VIOLATION = "08P01";
    private static final Pattern QUOTED = Pattern.compile("\"[^\"]*\"");
    /** The server's words for a named statement of the driver ({@code S_0}, {@code S_1}, …) that is not what the driver prepared. */
    private static final Pattern DRIVER_STATEMENT_MISMATCH = Pattern.compile("prepared statement \"S_\\d+\" (?:already exists|does not exist)");

    private ErrorTranslator() {
    }

    /**
     * Translates {@code error} raised on {@code endpoint} during {@code phase}.
     *
     * @param mayHaveWritten whether the work may change data and was not declared idempotent: a
     *                       connection lost during {@link Phase#EXECUTE} then makes the outcome
     *                       unknown instead of retry-safe
     */
    public static ReactiveDbException translate(Throwable error, String endpoint, Phase phase, boolean mayHaveWritten) {
        if (error instanceof ReactiveDbException known) {
            return known;
        }
        String sqlState = sqlStateOf(error);
        DbPoolerException pooler = poolerMismatch(error, endpoint, sqlState);
        if (pooler != null) {
            return pooler;
        }
        if (isConnectionFailure(error, sqlState)) {
            return connectionFailure(error, endpoint, phase, mayHaveWritten, sqlState);
        }
        if (phase == Phase.EXECUTE && isProtocolViolation(error)) {
            return new DbQueryException("[" + endpoint + "] " + describe(error, sqlState) + " (a protocol violation reported by the server:"
                    + " it refused the statement, which did not run" + (isFatal(error) ? ", and closed the connection)" : ")"),
                    error, sqlState, endpoint, false, null, null, null);
        }
        if (sqlState != null && SERIALIZATION_STATES.contains(sqlState)) {
            return new DbTransactionException("[" + endpoint + "] " + sqlState + " " + serverMessage(error, sqlState)
                    + " (the transaction was rolled back; it is safe to run it again)", error, sqlState, endpoint, true);
        }
        if (phase == Phase.ACQUIRE) {
            // Authentication, TLS and similar set-up failures: nothing was sent, but trying again
            // will not help, so they are not marked retry-safe.
            return new DbConnectionException("[" + endpoint + "] could not open a connection: " + describe(error, sqlState),
                    error, sqlState, endpoint, false);
        }
        if (phase == Phase.COMMIT) {
            return new DbTransactionException("[" + endpoint + "] commit failed: " + describe(error, sqlState), error, sqlState, endpoint, false);
        }
        ErrorDetails details = detailsOf(error);
        return new DbQueryException("[" + endpoint + "] " + describe(error, sqlState), error, sqlState, endpoint, false,
                details == null ? null : details.getConstraintName().orElse(null),
                details == null ? null : details.getTableName().orElse(null),
                details == null ? null : details.getDetail().orElse(null));
    }

    /**
     * Server replies that show a pooler the settings do not know about: the driver's named
     * statements meeting other sessions' statements ({@code 42P05}, {@code 26000}, a Bind whose
     * parameter count does not match, {@code 08P01}), or PgBouncer refusing a startup parameter.
     */
    private static @Nullable DbPoolerException poolerMismatch(Throwable error, String endpoint, @Nullable String sqlState) {
        if (sqlState == null || !(sqlState.equals("42P05") || sqlState.equals("26000") || sqlState.equals("08P01"))) {
            return null;
        }
        String message = messageWithState(error, sqlState);
        if (message == null) {
            return null;
        }
        if (sqlState.equals("08P01") && message.startsWith("unsupported startup parameter")) {
            return new DbPoolerException("[" + endpoint + "] the pooler refused the login: " + sqlState + " " + message
                    + ". Behind PgBouncer set DB_POOLER=pgbouncer-session or pgbouncer-transaction (session timeouts are then"
                    + " not sent at startup) and ignore_startup_parameters = extra_float_digits in pgbouncer.ini (the driver always"
                    + " sends it)", error, sqlState, endpoint, DbPoolerException.Reason.STARTUP_PARAMETER_REFUSED);
        }
        boolean mismatch = sqlState.equals("08P01") ? message.startsWith("bind message ") : DRIVER_STATEMENT_MISMATCH.matcher(message).find();
        if (!mismatch) {
            return null;
        }
        String ranNothing = sqlState.equals("08P01") ? " (refused as a protocol violation: the statement did not run)" : "";
        return new DbPoolerException("[" + endpoint + "] " + sqlState + " " + message + ranNothing + ": this connection's prepared statements are"
                + " not in its server session, so its transactions run on other clients' sessions: a transaction pooler"
                + " (PgBouncer pool_mode = transaction) that DB_POOLER does not name. Set DB_POOLER=pgbouncer-transaction"
                + " (unnamed statements) or use session pooling; until then statements may also run another client's"
                + " statement and return its rows", error, sqlState, endpoint, DbPoolerException.Reason.STATEMENT_MISMATCH);
    }

    /** The server's primary message, else the message of the deepest driver exception carrying {@code sqlState}. */
    private static @Nullable String messageWithState(Throwable error, String sqlState) {
        ErrorDetails details = detailsOf(error);
        if (details != null && details.getMessage() != null) {
            return details.getMessage();
        }
        String found = null;
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof R2dbcException r2dbc && sqlState.equals(r2dbc.getSqlState())) {
                found = r2dbc.getMessage();
            }
        }
        return found;
    }

    /**
     * Whether {@code error} means the connection or server failed rather than the statement. A
     * protocol violation the server reported ({@link #isProtocolViolation(Throwable)}) is not such
     * a failure, although its SQLSTATE is in class {@code 08}.
     */
    public static boolean isConnectionFailure(Throwable error) {
        return isConnectionFailure(error, sqlStateOf(error));
    }

    /**
     * Whether {@code error} (or a cause) is an ErrorResponse of the server with SQLSTATE
     * {@code 08P01}: the server found a message of the client malformed or inconsistent (a Bind
     * with more values than its prepared statement takes, for instance) and refused it, so the
     * statement did not run. The client's side is out of step with the server's (a stale prepared
     * statement cache), so the connection should not be lent again. A driver-made {@code 08xxx}
     * error (the connection closed under it) carries no severity and is not one of these.
     */
    public static boolean isProtocolViolation(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PostgresqlException pg && pg.getErrorDetails() != null
                    && PROTOCOL_VIOLATION.equals(pg.getErrorDetails().getCode()) && severity(pg.getErrorDetails()) != null) {
                return true;
            }
        }
        return false;
    }

    /** Only the server sends a severity; the driver's own errors have a code and a message only. */
    private static @Nullable String severity(ErrorDetails details) {
        String severity = details.getSeverityNonLocalized();
        return severity != null ? severity : details.getSeverityLocalized();
    }

    private static boolean isFatal(Throwable error) {
        ErrorDetails details = detailsOf(error);
        String severity = details == null ? null : severity(details);
        return "FATAL".equals(severity) || "PANIC".equals(severity);
    }

    /** The SQLSTATE of the deepest cause that carries one, or null. */
    public static @Nullable String sqlStateOf(Throwable error) {
        String found = null;
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String state = null;
            if (t instanceof PostgresqlException pg && pg.getErrorDetails() != null) {
                state = pg.getErrorDetails().getCode();
            }
            if (state == null && t instanceof R2dbcException r2dbc) {
                state = r2dbc.getSqlState();
            }
            if (state != null && state.length() == 5) {
                found = state;
            }
        }
        return found;
    }

    private static boolean isConnectionFailure(Throwable error, @Nullable String sqlState) {
        if (sqlState != null) {
            if (PROTOCOL_VIOLATION.equals(sqlState) && isProtocolViolation(error)) {
                return false;
            }
            return sqlState.startsWith("08") || CONNECTION_STATES.contains(sqlState);
        }
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException || t instanceof R2dbcNonTransientResourceException
                    || t instanceof R2dbcTransientResourceException || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static ReactiveDbException connectionFailure(Throwable error, String endpoint, Phase phase, boolean mayHaveWritten,
                                                         @Nullable String sqlState) {
        String what = describe(error, sqlState);
        switch (phase) {
            case ACQUIRE:
                return new DbConnectionException("[" + endpoint + "] could not get a connection: " + what, error, sqlState, endpoint, true);
            case COMMIT:
                return new DbOutcomeUnknownException("[" + endpoint + "] connection lost during commit, the transaction may or may not"
                        + " have been committed: " + what, error, sqlState, endpoint);
            default:
                if (mayHaveWritten) {
                    return new DbOutcomeUnknownException("[" + endpoint + "] connection lost after a write may have reached the server;"
                            + " check before trying again: " + what, error, sqlState, endpoint);
                }
                return new DbConnectionException("[" + endpoint + "] connection lost while the work ran: " + what, error, sqlState, endpoint, true);
        }
    }

    private static String describe(Throwable error, @Nullable String sqlState) {
        return sqlState == null ? rootMessage(error) : sqlState + " " + serverMessage(error, sqlState);
    }

    /**
     * The server's primary message. For data errors ({@code 22xxx}) PostgreSQL quotes the offending
     * input value, which may be a bound parameter; those quotes are masked.
     */
    private static String serverMessage(Throwable error, String sqlState) {
        ErrorDetails details = detailsOf(error);
        String message = details != null ? details.getMessage() : rootMessage(error);
        if (sqlState.startsWith("22") && message != null) {
            message = QUOTED.matcher(message).replaceAll("\"?\"");
        }
        return message == null ? "" : message;
    }

    private static @Nullable ErrorDetails detailsOf(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PostgresqlException pg && pg.getErrorDetails() != null && pg.getErrorDetails().getCode() != null) {
                return pg.getErrorDetails();
            }
        }
        return null;
    }

    private static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        String outer = error.getMessage();
        if (root != error && outer != null && !outer.equals(message)) {
            return outer + " (" + root.getClass().getSimpleName() + (message == null ? "" : ": " + message) + ")";
        }
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
