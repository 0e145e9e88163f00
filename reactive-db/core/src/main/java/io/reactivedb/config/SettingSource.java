package io.reactivedb.config;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Where setting values come from, looked up by environment name ({@link Setting#env()}): the
 * process environment, a map in tests, or a Spring {@code Environment} that reads the
 * {@code reactive-db.*} properties of {@link SettingsTable} first. Values may hold a password:
 * never log them.
 */
public interface SettingSource {

    /** The value given for {@code envName}, untrimmed; empty when it is not given. */
    Optional<String> raw(String envName);

    /** The names given, for the weight variables and the typo check. */
    Set<String> names();

    /**
     * How messages name the setting {@code envName}: the environment name itself, or for a value
     * that came from a property, {@code reactive-db.pool.size (DB_POOL_SIZE)}.
     */
    default String label(String envName) {
        return envName;
    }

    /** A source over {@code env}, for example {@link System#getenv()}. */
    static SettingSource of(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        return new SettingSource() {
            @Override
            public Optional<String> raw(String envName) {
                return Optional.ofNullable(env.get(envName));
            }

            @Override
            public Set<String> names() {
                return env.keySet();
            }
        };
    }

    /** The trimmed value of {@code envName}; empty when it is not given or blank. */
    default Optional<String> get(String envName) {
        return raw(envName).filter(value -> !value.isBlank()).map(String::strip);
    }

    /**
     * Runs {@code parse} (which names settings by their environment names), renaming the setting
     * of a {@link ConfigurationException} by {@link #label(String)}. An indexed name such as
     * {@code DB_READ_REPLICA_URLS[2]} keeps its index.
     */
    default <T> T parse(Supplier<T> parse) {
        try {
            return parse.get();
        } catch (ConfigurationException e) {
            throw relabel(e);
        }
    }

    /** {@code e} with its setting named by {@link #label(String)}; {@code e} itself when the label is the name. */
    default ConfigurationException relabel(ConfigurationException e) {
        String setting = e.setting();
        int bracket = setting.indexOf('[');
        String name = bracket < 0 ? setting : setting.substring(0, bracket);
        String label = label(name);
        if (label.equals(name)) {
            return e;
        }
        String index = bracket < 0 ? "" : setting.substring(bracket);
        int space = label.indexOf(' ');
        String renamed = space < 0 ? label + index : label.substring(0, space) + index + " (" + setting + ")";
        String prefix = setting + ": ";
        String message = String.valueOf(e.getMessage());
        return new ConfigurationException(renamed, message.startsWith(prefix) ? message.substring(prefix.length()) : message, e);
    }
}
