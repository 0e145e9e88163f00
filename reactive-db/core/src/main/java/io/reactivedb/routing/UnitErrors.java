package io.reactivedb.routing;

import io.r2dbc.spi.R2dbcException;
import io.reactivedb.error.DbOutcomeUnknownException;
import io.reactivedb.error.DbTimeoutException;
import io.reactivedb.error.ReactiveDbException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** Which errors of a unit of work the router translates, and the error of a unit that ran out of time. */
final class UnitErrors {

    private UnitErrors() {
    }

    /** Driver, pool and network failures are translated; the caller's own exceptions are not. */
    static boolean isDriverFailure(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof R2dbcException || t instanceof IOException || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reactor's {@code usingWhen} wraps an error of the completion step (here: a failed COMMIT, as
     * a serialization failure at commit under SERIALIZABLE) in a plain {@code RuntimeException};
     * the caller and the retry need the translated error itself.
     */
    static boolean isCleanupWrapper(Throwable error) {
        return error.getClass() == RuntimeException.class && error.getCause() instanceof ReactiveDbException;
    }

    /**
     * A unit that had no result within {@code timeout}: outcome-unknown for a plain write that may
     * have been sent, else retry-safe (a read, a transaction the cancel rolls back, or a unit still
     * waiting for its connection: nothing stays applied).
     */
    static ReactiveDbException timedOut(Endpoint endpoint, Duration timeout, boolean plainWriteSent, Throwable cause) {
        String message = "[" + endpoint.name() + "] no result within " + timeout.toMillis() + " ms (query timeout); the statement was"
                + " cancelled on the server (" + endpoint.poolStatistics().describe() + ")";
        if (plainWriteSent) {
            return new DbOutcomeUnknownException(message + "; the write may or may not have been applied", cause, null, endpoint.name());
        }
        return new DbTimeoutException(message, cause, endpoint.name(), timeout, true);
    }
}
