package io.reactivedb.web.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.config.Pooler;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class PropertySettingSourceTest {

    private static final String SECRET = "pr0p-Secret-913";

    private static PropertySettingSource source(Map<String, String> properties, Map<String, String> env) {
        return PropertySettingSource.of(new Binder(new MapConfigurationPropertySource(properties)), env);
    }

    @Test
    void propertiesAreLaidOverTheEnvironmentNames() {
        Map<String, String> properties = new HashMap<>();
        properties.put("reactive-db.url", "postgresql://app@db.internal:6432/app");
        properties.put("reactive-db.password", SECRET);
        properties.put("reactive-db.read-replica-urls[0]", "postgresql://app@r1.internal/app");
        properties.put("reactive-db.read-replica-urls[1]", "postgresql://app@r2.internal/app");
        properties.put("reactive-db.read-replica-weights", "3,1");
        properties.put("reactive-db.pool.size", "20");
        properties.put("reactive-db.pool.timeout", "1.5s");
        PropertySettingSource source = source(properties, Map.of("DB_POOL_SIZE", "5", "DB_POOL_MIN", "2"));

        ReactiveDbSettings settings = EnvironmentSettings.parse(source);

        assertThat(source.hasDatabase()).isTrue();
        assertThat(settings.primary().host()).isEqualTo("db.internal");
        assertThat(settings.primary().port()).isEqualTo(6432);
        assertThat(settings.primary().password().reveal()).isEqualTo(SECRET);
        assertThat(settings.replicas()).extracting(e -> e.host()).containsExactly("r1.internal", "r2.internal");
        assertThat(settings.replicas().get(0).weight()).isEqualTo(3);
        assertThat(settings.pool().maxSize()).as("the property wins").isEqualTo(20);
        assertThat(settings.pool().minIdle()).as("the variable fills in").isEqualTo(2);
        assertThat(settings.pool().acquireTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(settings.toString()).doesNotContain(SECRET);
    }

    @Test
    void anInvalidPropertyIsNamedWithItsVariableAndNeverShowsAPassword() {
        PropertySettingSource source = source(Map.of("reactive-db.url", "postgresql://app:" + SECRET + "@db.internal/app",
                "reactive-db.pool.size", "0"), Map.of());

        assertThatThrownBy(() -> EnvironmentSettings.parse(source))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("reactive-db.pool.size (DB_POOL_SIZE): ")
                .satisfies(e -> assertThat(((ConfigurationException) e).setting()).isEqualTo("reactive-db.pool.size (DB_POOL_SIZE)"))
                .message().doesNotContain(SECRET);
    }

    @Test
    void anInvalidReplicaWeightIsNamedByItsIndex() {
        PropertySettingSource source = source(Map.of("reactive-db.url", "postgresql://app@db.internal/app",
                "reactive-db.read-replica-urls", "postgresql://app@r1.internal/app", "reactive-db.read-replica-weights", "0"), Map.of());

        assertThatThrownBy(() -> EnvironmentSettings.parse(source))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("reactive-db.read-replica-weights[0] (DB_READ_REPLICA_1_WEIGHT): ");
    }

    @Test
    void resilienceAndHealthPropertiesReachTheRouterBuilder() {
        PropertySettingSource source = source(Map.of("reactive-db.url", "postgresql://app@db.internal/app",
                "reactive-db.health.interval", "1s", "reactive-db.health.timeout", "2s"), Map.of());
        ReactiveDbSettings settings = EnvironmentSettings.parse(source);

        assertThatThrownBy(() -> ReactiveDbRouter.builder(settings).fromEnvironment(source))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("reactive-db.health.timeout (DB_HEALTH_TIMEOUT): ");
    }

    @Test
    void theStatementCacheSizeHasAProperty() {
        Map<String, String> properties = Map.of("reactive-db.url", "postgresql://app@db.internal/app",
                "reactive-db.session.statement-cache-size", "64");
        assertThat(EnvironmentSettings.parse(source(properties, Map.of("DB_STATEMENT_CACHE_SIZE", "8"))).session().statementCacheSize())
                .as("the property wins").isEqualTo(64);

        PropertySettingSource invalid = source(Map.of("reactive-db.url", "postgresql://app@db.internal/app",
                "reactive-db.session.statement-cache-size", "-1"), Map.of());
        assertThatThrownBy(() -> EnvironmentSettings.parse(invalid))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("reactive-db.session.statement-cache-size (DB_STATEMENT_CACHE_SIZE): ");
    }

    @Test
    void thePoolerHasAProperty() {
        Map<String, String> properties = new HashMap<>(Map.of("reactive-db.url", "postgresql://app@pgbouncer.internal:6432/app",
                "reactive-db.pooler", "pgbouncer-transaction", "reactive-db.session.statement-timeout", "5s"));
        assertThatThrownBy(() -> EnvironmentSettings.parse(source(properties, Map.of())))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("reactive-db.session.statement-timeout (DB_STATEMENT_TIMEOUT): ")
                .hasMessageContaining("ALTER ROLE");

        properties.remove("reactive-db.session.statement-timeout");
        ReactiveDbSettings settings = EnvironmentSettings.parse(source(properties, Map.of()));
        assertThat(settings.session().pooler()).isEqualTo(Pooler.PGBOUNCER_TRANSACTION);
        assertThat(settings.session().statementCacheSize()).isZero();
    }

    @Test
    void anErrorAboutAVariableKeepsTheVariablesName() {
        PropertySettingSource source = source(Map.of(), Map.of("DATABASE_URL", "postgresql://app@db.internal/app", "DB_POOL_SIZE", "-1"));

        assertThatThrownBy(() -> EnvironmentSettings.parse(source))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("DB_POOL_SIZE: ");
    }

    @Test
    void withoutUrlOrHostThereIsNoDatabase() {
        assertThat(source(Map.of(), Map.of("DB_POOL_SIZE", "3")).hasDatabase()).isFalse();
        assertThat(source(Map.of("reactive-db.host", "db.internal"), Map.of()).hasDatabase()).isTrue();
        assertThat(source(Map.of(), Map.of("DATABASE_URL", " ")).hasDatabase()).isFalse();
    }
}
