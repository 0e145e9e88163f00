package io.reactivedb.error;

import org.jspecify.annotations.Nullable;

/**
 * A transaction could not begin, commit or roll back, or the server aborted it. Serialization
 * failures ({@code 40001}) and deadlocks ({@code 40P01}) are retry-safe: the server rolled the whole
 * transaction back, so running it again from the start cannot apply it twice.
 */
public class DbTransactionException extends ReactiveDbException {

    private static final long serialVersionUID = 1L;

    public DbTransactionException(String message, @Nullable Throwable cause, @Nullable String sqlState,
                                  @Nullable String endpoint, boolean retrySafe) {
        super(message, cause, sqlState, endpoint, retrySafe);
    }

    /** True for {@code 40001} (serialization failure) and {@code 40P01} (deadlock). */
    public boolean isSerializationConflict() {
        return sqlState().map(s -> s.equals("40001") || s.equals("40P01")).orElse(false);
    }
}
