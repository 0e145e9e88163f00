package io.reactivedb.error;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Base of every failure reactive-db reports. Messages name the endpoint ({@code primary},
 * {@code replica-1}, …) and never contain a password or bound parameter values.
 */
public abstract class ReactiveDbException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final @Nullable String sqlState;
    private final @Nullable String endpoint;
    private final boolean retrySafe;

    protected ReactiveDbException(String message, @Nullable Throwable cause, @Nullable String sqlState,
                                  @Nullable String endpoint, boolean retrySafe) {
        super(message, cause);
        this.sqlState = sqlState;
        this.endpoint = endpoint;
        this.retrySafe = retrySafe;
    }

    /** The five-character SQLSTATE the server (or the driver) reported, when there was one. */
    public Optional<String> sqlState() {
        return Optional.ofNullable(sqlState);
    }

    /** The name of the endpoint the work ran on, when it had reached one. */
    public Optional<String> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    /**
     * Whether running the same work again cannot apply it twice: the failure happened before the
     * statement reached the server, or the server rolled the work back (serialization failure,
     * deadlock).
     */
    public boolean isRetrySafe() {
        return retrySafe;
    }
}
