package io.reactivedb.error;

import io.reactivedb.pool.PoolStatistics;
import org.jspecify.annotations.Nullable;

/**
 * No connection became free within the acquire timeout. The message carries the pool state at the
 * moment of the timeout (acquired, idle, pending, max), which is what one needs to tell a too-small
 * pool from a leak or a slow query. Retry-safe: nothing was sent.
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
