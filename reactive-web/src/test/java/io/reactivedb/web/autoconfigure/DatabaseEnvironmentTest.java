package io.reactivedb.web.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.config.Pooler;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DatabaseEnvironmentTest {

    private static final String SECRET = "pr0p-Secret-913";

    @Test
    void propertiesAreLaidOverTheEnvironmentNames() {
        ReactiveDbProperties properties = new ReactiveDbProperties();
        properties.setUrl("postgresql://app@db.internal:6432/app");
        properties.setPassword(SECRET);
        properties.setReadReplicaUrls(List.of("postgresql://app@r1.internal/app", "postgresql://app@r2.internal/app"));
        properties.setReadReplicaWeights(List.of(3, 1));
        properties.getPool().setSize(20);
        properties.getPool().setTimeout("1.5s");
        DatabaseEnvironment environment = DatabaseEnvironment.of(properties, Map.of("DB_POOL_SIZE", "5", "DB_POOL_MIN", "2"));

        ReactiveDbSettings settings = environment.parse(() -> EnvironmentSettings.parse(environment.values()));

        assertThat(environment.hasDatabase()).isTrue();
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
        ReactiveDbProperties properties = new ReactiveDbProperties();
        properties.setUrl("postgresql://app:" + SECRET + "@db.internal/app");
        properties.getPool().setSize(0);
        DatabaseEnvironment environment = DatabaseEnvironment.of(properties, Map.of());

        assertThatThrownBy(() -> environment.parse(() -> EnvironmentSettings.parse(environment.values())))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("reactive-db.pool.size (DB_POOL_SIZE): ")
                .satisfies(e -> assertThat(((ConfigurationException) e).setting()).isEqualTo("reactive-db.pool.size (DB_POOL_SIZE)"))
                .message().doesNotContain(SECRET);
    }

    @Test
    void resilienceAndHealthPropertiesReachTheRouterBuilder() {
        ReactiveDbProperties properties = new ReactiveDbProperties();
        properties.setUrl("postgresql://app@db.internal/app");
        properties.getHealth().setInterval("1s");
        properties.getHealth().setTimeout("2s");
        DatabaseEnvironment environment = DatabaseEnvironment.of(properties, Map.of());
        ReactiveDbSettings settings = environment.parse(() -> EnvironmentSettings.parse(environment.values()));

        assertThatThrownBy(() -> environment.parse(() -> ReactiveDbRouter.builder(settings).fromEnvironment(environment.values())))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("reactive-db.health.timeout (DB_HEALTH_TIMEOUT): ");
    }

    @Test
    void theStatementCacheSizeHasAProperty() {
        ReactiveDbProperties properties = new ReactiveDbProperties();
        properties.setUrl("postgresql://app@db.internal/app");
        properties.getSession().setStatementCacheSize(64);
        DatabaseEnvironment environment = DatabaseEnvironment.of(properties, Map.of("DB_STATEMENT_CACHE_SIZE", "8"));
        assertThat(environment.parse(() -> EnvironmentSettings.parse(environment.values())).session().statementCacheSize())
                .as("the property wins").isEqualTo(64);

        properties.getSession().setStatementCacheSize(-1);
        DatabaseEnvironment invalid = DatabaseEnvironment.of(properties, Map.of());
        assertThatThrownBy(() -> invalid.parse(() -> EnvironmentSettings.parse(invalid.values())))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("reactive-db.session.statement-cache-size (DB_STATEMENT_CACHE_SIZE): ");
    }

    @Test
    void thePoolerHasAProperty() {
        ReactiveDbProperties properties = new ReactiveDbProperties();
        properties.setUrl("postgresql://app@pgbouncer.internal:6432/app");
        properties.setPooler("pgbouncer-transaction");
        properties.getSession().setStatementTimeout("5s");
        DatabaseEnvironment environment = DatabaseEnvironment.of(properties, Map.of());
        assertThatThrownBy(() -> environment.parse(() -> EnvironmentSettings.parse(environment.values())))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("reactive-db.session.statement-timeout (DB_STATEMENT_TIMEOUT): ")
                .hasMessageContaining("ALTER ROLE");

        properties.getSession().setStatementTimeout(null);
        ReactiveDbSettings settings = environment.parse(() -> EnvironmentSettings.parse(DatabaseEnvironment.of(properties, Map.of()).values()));
        assertThat(settings.session().pooler()).isEqualTo(Pooler.PGBOUNCER_TRANSACTION);
        assertThat(settings.session().statementCacheSize()).isZero();
    }

    @Test
    void anErrorAboutAVariableKeepsTheVariablesName() {
        DatabaseEnvironment environment = DatabaseEnvironment.of(new ReactiveDbProperties(),
                Map.of("DATABASE_URL", "postgresql://app@db.internal/app", "DB_POOL_SIZE", "-1"));

        assertThatThrownBy(() -> environment.parse(() -> EnvironmentSettings.parse(environment.values())))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("DB_POOL_SIZE: ");
    }

    @Test
    void withoutUrlOrHostThereIsNoDatabase() {
        assertThat(DatabaseEnvironment.of(new ReactiveDbProperties(), Map.of("DB_POOL_SIZE", "3")).hasDatabase()).isFalse();
        ReactiveDbProperties host = new ReactiveDbProperties();
        host.setHost("db.internal");
        assertThat(DatabaseEnvironment.of(host, Map.of()).hasDatabase()).isTrue();
        assertThat(DatabaseEnvironment.of(new ReactiveDbProperties(), Map.of("DATABASE_URL", " ")).hasDatabase()).isFalse();
    }
}
