package io.reactivedb.error;

import org.jspecify.annotations.Nullable;

/** A connection could not be acquired or opened, or it broke while the work ran. */
public class DbConnectionException extends ReactiveDbException {

    private static final long serialVersionUID = 1L;

    public DbConnectionException(String message, @Nullable Throwable cause, @Nullable String sqlState,
                                 @Nullable String endpoint, boolean retrySafe) {
        super(message, cause, sqlState, endpoint, retrySafe);
    }
}
