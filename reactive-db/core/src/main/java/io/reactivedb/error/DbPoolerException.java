package io.reactivedb.error;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The work cannot run correctly through the connection pooler in front of the server, or the
 * server's reply shows that {@code DB_POOLER} does not match that pooler. A configuration problem,
 * not a failure of the server: never retry-safe, and never counted against the endpoint's health.
 * The message names {@code DB_POOLER} and what to change.
 */
public class DbPoolerException extends ReactiveDbException {

    private static final long serialVersionUID = 1L;

    /** What was found. */
    public enum Reason {
        /**
         * A named statement of this connection was missing, already existed or took another number
         * of parameters on the server ({@code 26000}, {@code 42P05}, {@code 08P01} on Bind): its
         * transactions run on other clients' server sessions (a transaction pooler), so other
         * statements on it may have run another client's statement and returned wrong rows.
         */
        STATEMENT_MISMATCH,
        /** The pooler refused a startup parameter ({@code 08P01 unsupported startup parameter}). */
        STARTUP_PARAMETER_REFUSED,
        /** A statement that needs a server session of its own, refused before it was sent. */
        NEEDS_SESSION
    }

    private final Reason reason;

    public DbPoolerException(String message, @Nullable Throwable cause, @Nullable String sqlState, @Nullable String endpoint, Reason reason) {
        super(message, cause, sqlState, endpoint, false);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
