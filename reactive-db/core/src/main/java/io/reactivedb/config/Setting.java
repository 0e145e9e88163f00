package io.reactivedb.config;

import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * One setting of {@link SettingsTable}: its environment variable, its Spring property, how its
 * value is parsed and checked, and its documented default.
 *
 * @param env          the environment variable, for example {@code DB_POOL_SIZE}
 * @param property     the Spring property, for example {@code reactive-db.pool.size}; empty for
 *                     secrets and logins, which come from the environment only
 * @param defaultValue the default as the README states it, for example {@code 10} or {@code 30 s}
 * @param unit         the unit of a plain number given for a duration; empty for other kinds
 * @param parser       turns a trimmed, non-empty value into {@code T}, or fails naming the setting
 * @param <T>          the parsed type
 */
public record Setting<T>(String env, Optional<String> property, String defaultValue, Optional<ChronoUnit> unit, Parser<T> parser) {

    /** Parses a trimmed, non-empty value of the setting {@code name}. */
    @FunctionalInterface
    public interface Parser<T> {
        /** @throws ConfigurationException naming {@code name} when the value is invalid */
        T parse(String name, String value);
    }

    public Setting {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(property, "property");
        Objects.requireNonNull(defaultValue, "defaultValue");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(parser, "parser");
    }

    /**
     * The parsed value of this setting in {@code source}; empty when it is not given or blank.
     *
     * @throws ConfigurationException naming {@link #env()} when the value is invalid
     */
    public Optional<T> read(SettingSource source) {
        return source.get(env).map(value -> parser.parse(env, value));
    }

    @Override
    public String toString() {
        return env + property.map(p -> " (" + p + ")").orElse("");
    }
}
