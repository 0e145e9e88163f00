package io.reactivedb.config;

import java.time.Duration;
import java.util.Objects;

/** Argument checks shared by the settings builders; every failure names the setting. */
final class Checks {

    private Checks() {
    }

    static Duration positive(String setting, Duration value) {
        Objects.requireNonNull(value, setting);
        if (value.isNegative() || value.isZero()) {
            throw new ConfigurationException(setting, "must be > 0 but was " + value);
        }
        return value;
    }

    static int atLeast(String setting, int value, int min) {
        if (value < min) {
            throw new ConfigurationException(setting, "must be >= " + min + " but was " + value);
        }
        return value;
    }
}
