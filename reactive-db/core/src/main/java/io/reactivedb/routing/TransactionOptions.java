package io.reactivedb.routing;

import io.r2dbc.spi.Option;
import io.r2dbc.spi.TransactionDefinition;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How a transaction runs.
 *
 * @param isolation the isolation level; empty (the default) leaves the server's
 *                  {@code default_transaction_isolation}, normally READ COMMITTED
 * @param readOnly  a read-only transaction; it runs on a replica when one is eligible, and the
 *                  server rejects any write in it ({@code 25006})
 */
public record TransactionOptions(Optional<Isolation> isolation, boolean readOnly) {

    private static final TransactionOptions DEFAULTS = new TransactionOptions(Optional.empty(), false);

    public TransactionOptions {
        Objects.requireNonNull(isolation, "isolation");
    }

    /** Read-write, server's default isolation. */
    public static TransactionOptions defaults() {
        return DEFAULTS;
    }

    /** Read-write at {@code isolation}. */
    public static TransactionOptions of(Isolation isolation) {
        return new TransactionOptions(Optional.of(isolation), false);
    }

    /** Read-only, server's default isolation. */
    public static TransactionOptions readOnlyDefaults() {
        return new TransactionOptions(Optional.empty(), true);
    }

    public TransactionOptions withIsolation(Isolation isolation) {
        return new TransactionOptions(Optional.of(isolation), readOnly);
    }

    public TransactionOptions asReadOnly() {
        return new TransactionOptions(isolation, true);
    }

    TransactionDefinition definition() {
        return new TransactionDefinition() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> @Nullable T getAttribute(Option<T> option) {
                if (option.equals(TransactionDefinition.ISOLATION_LEVEL)) {
                    return (T) isolation.map(Isolation::r2dbc).orElse(null);
                }
                if (option.equals(TransactionDefinition.READ_ONLY)) {
                    return (T) Boolean.valueOf(readOnly);
                }
                return null;
            }
        };
    }
}
