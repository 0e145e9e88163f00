package io.reactivedb.error;

import org.jspecify.annotations.Nullable;

/**
 * The connection broke after a statement that may change data was sent, or while a commit was in
 * flight: the server may or may not have applied it. Never retried automatically; the caller has to
 * check (for example by a client-generated id) before trying again.
 */
public final class DbOutcomeUnknownException extends ReactiveDbException {

    private static final long serialVersionUID = 1L;

    public DbOutcomeUnknownException(String message, @Nullable Throwable cause, @Nullable String sqlState, @Nullable String endpoint) {
        super(message, cause, sqlState, endpoint, false);
    }
}
