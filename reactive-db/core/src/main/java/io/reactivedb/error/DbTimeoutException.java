package io.reactivedb.error;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A unit of work did not finish within its timeout. The statement was cancelled on the server
 * (PostgreSQL cancel request) and the connection brought back in step or discarded. Retry-safe for
 * reads and for transactions that had not reached their commit; a plain write that timed out is
 * reported as {@link DbOutcomeUnknownException} instead.
 */
public final class DbTimeoutException extends DbConnectionException {

    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    public DbTimeoutException(String message, @Nullable Throwable cause, String endpoint, Duration timeout, boolean retrySafe) {
        super(message, cause, null, endpoint, retrySafe);
        this.timeout = timeout;
    }

    /** The limit that passed. */
    public Duration timeout() {
        return timeout;
    }
}
