package io.reactivedb.config;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A secret such as a password. Its {@link #toString()} is always masked, so it can sit in settings
 * that are logged. The value may be supplied lazily (read from a file or a vault at connect time),
 * which also lets a rotated password reach new connections without a restart.
 */
public final class Secret {

    private static final Secret EMPTY = new Secret(() -> "");

    private final Supplier<String> supplier;

    private Secret(Supplier<String> supplier) {
        this.supplier = supplier;
    }

    /** A fixed secret. */
    public static Secret of(String value) {
        Objects.requireNonNull(value, "value");
        return value.isEmpty() ? EMPTY : new Secret(() -> value);
    }

    /** A secret read each time a connection is opened. The supplier must not block for long. */
    public static Secret ofSupplier(Supplier<String> supplier) {
        return new Secret(Objects.requireNonNull(supplier, "supplier"));
    }

    /** No secret (password-less authentication such as {@code trust} or client certificates). */
    public static Secret empty() {
        return EMPTY;
    }

    /** The clear value. Call it only where the driver needs it; never log the result. */
    public String reveal() {
        String value = supplier.get();
        return value == null ? "" : value;
    }

    public boolean isEmpty() {
        return this == EMPTY;
    }

    @Override
    public String toString() {
        return isEmpty() ? "" : "******";
    }
}
