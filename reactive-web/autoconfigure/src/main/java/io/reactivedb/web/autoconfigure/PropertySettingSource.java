package io.reactivedb.web.autoconfigure;

import io.reactivedb.config.Setting;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The library's settings read from Spring: each {@code reactive-db.*} property of
 * {@link SettingsTable} that is set wins over its environment variable, and errors about its value
 * name both ({@code reactive-db.pool.size (DB_POOL_SIZE): must be >= 1 but was 0}). The lists
 * {@code reactive-db.read-replica-urls} and {@code reactive-db.read-replica-weights} stand for
 * {@code DB_READ_REPLICA_URLS} and {@code DB_READ_REPLICA_<n>_WEIGHT}. Holds passwords: never log it.
 */
final class PropertySettingSource implements SettingSource {

    private final Map<String, String> env;
    /** Environment name → value, of the settings given as properties. */
    private final Map<String, String> properties = new HashMap<>();
    /** Environment name → how messages name it. */
    private final Map<String, String> labels = new HashMap<>();

    private PropertySettingSource(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** The properties of {@code environment} laid over {@code env} (usually {@link System#getenv()}). */
    static PropertySettingSource of(Environment environment, Map<String, String> env) {
        return of(Binder.get(environment), env);
    }

    static PropertySettingSource of(Binder binder, Map<String, String> env) {
        PropertySettingSource source = new PropertySettingSource(env);
        for (Setting<?> setting : SettingsTable.all()) {
            setting.property().ifPresent(property -> source.bind(binder, setting, property));
        }
        return source;
    }

    private void bind(Binder binder, Setting<?> setting, String property) {
        if (setting == SettingsTable.DB_READ_REPLICA_WEIGHT) {
            List<String> weights = binder.bind(property, Bindable.listOf(String.class)).orElse(List.of());
            for (int i = 0; i < weights.size(); i++) {
                put("DB_READ_REPLICA_" + (i + 1) + "_WEIGHT", property + "[" + i + "]", weights.get(i));
            }
        } else if (setting == SettingsTable.DB_READ_REPLICA_URLS) {
            List<String> urls = binder.bind(property, Bindable.listOf(String.class)).orElse(List.of());
            if (!urls.isEmpty()) {
                put(setting.env(), property, String.join(",", urls));
            }
        } else {
            binder.bind(property, String.class).ifBound(value -> put(setting.env(), property, value));
        }
    }

    private void put(String envName, String property, String value) {
        properties.put(envName, value);
        labels.put(envName, property + " (" + envName + ")");
    }

    @Override
    public Optional<String> raw(String envName) {
        String value = properties.get(envName);
        return Optional.ofNullable(value != null ? value : env.get(envName));
    }

    @Override
    public Set<String> names() {
        Set<String> names = new HashSet<>(env.keySet());
        names.addAll(properties.keySet());
        return names;
    }

    @Override
    public String label(String envName) {
        return labels.getOrDefault(envName, envName);
    }

    /** Whether a primary is configured ({@code DATABASE_URL} or {@code DB_HOST}, from either source). */
    boolean hasDatabase() {
        return get(SettingsTable.DATABASE_URL.env()).isPresent() || get(SettingsTable.DB_HOST.env()).isPresent();
    }

    /** Whether backups are configured ({@code BACKUP_DIR}, from either source). */
    boolean hasBackups() {
        return get(SettingsTable.BACKUP_DIR.env()).isPresent();
    }
}
