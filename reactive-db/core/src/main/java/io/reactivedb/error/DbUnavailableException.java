package io.reactivedb.error;

import org.jspecify.annotations.Nullable;

/**
 * No endpoint can take the work: the router is shutting down, or every endpoint that could serve
 * it is out of rotation. Raised before anything is sent, so it is retry-safe.
 */
public final class DbUnavailableException extends ReactiveDbException {

    private static final long serialVersionUID = 1L;

    public DbUnavailableException(String message, @Nullable String endpoint) {
        super(message, null, null, endpoint, true);
    }
}
