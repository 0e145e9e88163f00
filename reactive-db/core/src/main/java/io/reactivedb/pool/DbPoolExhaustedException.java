package io.reactivedb.pool;

import io.reactivedb.error.DbConnectionException;
import org.jspecify.annotations.Nullable;

/**
 * No connection became free within the acquire timeout. The message carries the pool state at the
 * moment of the timeout (acquired, idle, pending, max), which is what one needs to tell a too-small
 * pool from a leak or a slow query, and, when units of work that hold the pool's connections wait
 * for another one of it (a unit acquiring inside another), says so. Retry-safe: nothing was sent;
 * but the router does not retry it, since the caller has waited the whole acquire timeout already.
 */
public final class DbPoolExhaustedException extends DbConnectionException {

    private static final long serialVersionUID = 1L;

    private final transient PoolStatistics statistics;

    public DbPoolExhaustedException(String message, @Nullable Throwable cause, String endpoint, PoolStatistics statistics) {
        super(message, cause, null, endpoint, true);
        this.statistics = statistics;
    }

    /** The pool's state when the wait timed out. */
    public PoolStatistics statistics() {
        return statistics;
    }
}
