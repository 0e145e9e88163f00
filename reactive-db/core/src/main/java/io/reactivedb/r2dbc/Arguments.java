package io.reactivedb.r2dbc;

import org.jspecify.annotations.Nullable;

/**
 * Argument checks in the SPI's terms: R2DBC requires {@link IllegalArgumentException} for a null
 * argument where {@code Objects.requireNonNull} would throw {@link NullPointerException}.
 */
final class Arguments {

    private Arguments() {
    }

    /** {@code value}, or {@link IllegalArgumentException} naming {@code name} when it is null. */
    static <T> T require(@Nullable T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }
}
