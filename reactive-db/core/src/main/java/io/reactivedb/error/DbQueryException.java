package io.reactivedb.error;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The server rejected a statement: a constraint, a syntax or permission error, bad data, a
 * statement timeout. Never retry-safe by itself; the server's details are kept.
 */
public class DbQueryException extends ReactiveDbException {

    private static final long serialVersionUID = 1L;

    private final @Nullable String constraint;
    private final @Nullable String table;
    private final @Nullable String detail;

    public DbQueryException(String message, @Nullable Throwable cause, @Nullable String sqlState, @Nullable String endpoint,
                            boolean retrySafe, @Nullable String constraint, @Nullable String table, @Nullable String detail) {
        super(message, cause, sqlState, endpoint, retrySafe);
        this.constraint = constraint;
        this.table = table;
        this.detail = detail;
    }

    /** The violated constraint, for integrity errors ({@code 23xxx}). */
    public Optional<String> constraint() {
        return Optional.ofNullable(constraint);
    }

    public Optional<String> table() {
        return Optional.ofNullable(table);
    }

    /**
     * The server's DETAIL line. It may quote the offending key value (for example {@code Key
     * (id)=(42) already exists}), so it is kept out of the exception message.
     */
    public Optional<String> detail() {
        return Optional.ofNullable(detail);
    }

    /** True for {@code 23xxx}: unique, foreign key, not-null or check violations. */
    public boolean isIntegrityViolation() {
        return sqlState().map(s -> s.startsWith("23")).orElse(false);
    }
}
