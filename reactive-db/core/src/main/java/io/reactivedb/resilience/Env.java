package io.reactivedb.resilience;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.Durations;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads and checks the resilience settings, in the style of
 * {@link io.reactivedb.config.EnvironmentSettings}: values are trimmed, an empty value counts as
 * unset, and every failure names the variable and quotes the value (shortened), never anything else.
 */
final class Env {

    private static final Pattern INTEGER = Pattern.compile("\\d{1,10}");
    private static final Pattern DECIMAL = Pattern.compile("\\d{1,9}(\\.\\d{1,9})?");
    private static final int MAX_QUOTED_LENGTH = 64;

    private final Map<String, String> env;

    Env(Map<String, String> env) {
        this.env = Objects.requireNonNull(env, "env");
    }

    Optional<String> get(String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    Optional<Integer> integer(String name, int min, int max) {
        return get(name).map(value -> {
            if (INTEGER.matcher(value).matches()) {
                long parsed = Long.parseLong(value);
                if (parsed >= min && parsed <= max) {
                    return (int) parsed;
                }
            }
            String range = max == Integer.MAX_VALUE ? ">= " + min : "between " + min + " and " + max;
            throw new ConfigurationException(name, "must be an integer " + range + " but was '" + quote(value) + "'");
        });
    }

    Optional<Double> decimal(String name, double min, double max) {
        return get(name).map(value -> {
            if (DECIMAL.matcher(value).matches()) {
                double parsed = Double.parseDouble(value);
                if (parsed >= min && parsed <= max) {
                    return parsed;
                }
            }
            String range = max == Double.MAX_VALUE ? ">= " + format(min) : "between " + format(min) + " and " + format(max);
            throw new ConfigurationException(name, "must be a decimal number " + range + " (for example 2 or 1.5) but was '"
                    + quote(value) + "'");
        });
    }

    /** A duration greater than zero in any form of {@link Durations}; a plain number is in {@code plainNumberUnit}. */
    Optional<Duration> positiveDuration(String name, ChronoUnit plainNumberUnit) {
        return get(name).map(value -> {
            Duration parsed = Durations.parse(name, value, plainNumberUnit);
            if (parsed.isZero()) {
                throw new ConfigurationException(name, "must be greater than zero but was '" + quote(value) + "'");
            }
            return parsed;
        });
    }

    /** A duration, zero allowed, in any form of {@link Durations}; a plain number is in {@code plainNumberUnit}. */
    Optional<Duration> duration(String name, ChronoUnit plainNumberUnit) {
        return get(name).map(value -> Durations.parse(name, value, plainNumberUnit));
    }

    // ---- checks shared by the builders; every failure names the setting ----

    static int atLeast(String setting, String property, int value, int min) {
        if (value < min) {
            throw new ConfigurationException(setting, property + " must be >= " + min + " but was " + value);
        }
        return value;
    }

    static Duration positive(String setting, String property, Duration value) {
        Objects.requireNonNull(value, property);
        if (value.isNegative() || value.isZero()) {
            throw new ConfigurationException(setting, property + " must be > 0 but was " + value);
        }
        return value;
    }

    static Duration notNegative(String setting, String property, Duration value) {
        Objects.requireNonNull(value, property);
        if (value.isNegative()) {
            throw new ConfigurationException(setting, property + " must be >= 0 but was " + value);
        }
        return value;
    }

    static double between(String setting, String property, double value, double min, double max, boolean minInclusive) {
        boolean aboveMin = minInclusive ? value >= min : value > min;
        if (Double.isNaN(value) || !aboveMin || value > max) {
            throw new ConfigurationException(setting, property + " must be " + (minInclusive ? ">= " : "> ") + format(min)
                    + (max == Double.MAX_VALUE ? "" : " and <= " + format(max)) + " but was " + value);
        }
        return value;
    }

    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }

    static String quote(String value) {
        return value.length() <= MAX_QUOTED_LENGTH ? value : value.substring(0, MAX_QUOTED_LENGTH) + "…";
    }
}
