package io.reactivedb.devservices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.Pooler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DevClusterOptionsTest {

    @Test
    void defaults() {
        DevClusterOptions options = DevClusterOptions.defaults();

        assertThat(options.replicas()).isEqualTo(2);
        assertThat(options.binDir()).isEmpty();
        assertThat(options.baseDir()).isAbsolute()
                .isEqualTo(Path.of("target/reactive-db-devservices").toAbsolutePath().normalize());
        assertThat(options.database()).isEqualTo("app");
        assertThat(options.appUser()).isEqualTo("app");
        assertThat(options.startTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(options.postgresqlConf()).isEmpty();
        assertThat(options.migrationUser()).isEqualTo("app_migrator");
        assertThat(options.healthUser()).isEqualTo("app_health");
        assertThat(options.tls()).isFalse();
        assertThat(options.shutdownHook()).isTrue();
    }

    @Test
    void rolesMustDifferAndAvoidTheClustersOwn() {
        DevClusterOptions options = DevClusterOptions.builder().appUser("orders").migrationUser("orders_ddl")
                .healthUser("orders_probe").tls(true).build();
        assertThat(options.toBuilder().build().migrationUser()).isEqualTo("orders_ddl");
        assertThat(options.toBuilder().build().healthUser()).isEqualTo("orders_probe");
        assertThat(options.toBuilder().build().tls()).isTrue();
        assertThatThrownBy(() -> DevClusterOptions.builder().healthUser("app").build())
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("appUser:");
        assertThatThrownBy(() -> DevClusterOptions.builder().migrationUser("tls_client"))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("migrationUser:");
        assertThatThrownBy(() -> DevClusterOptions.builder().healthUser("pg_monitor"))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("healthUser:");
    }

    @Test
    void providerAndContainerImage() {
        DevClusterOptions defaults = DevClusterOptions.defaults();
        assertThat(defaults.provider()).isEqualTo(DevClusterProvider.AUTO);
        assertThat(defaults.containerImage()).isEqualTo("postgres:17");
        DevClusterOptions options = DevClusterOptions.builder().provider(DevClusterProvider.CONTAINERS)
                .containerImage("postgres:16").build();
        assertThat(options.toBuilder().build().provider()).isEqualTo(DevClusterProvider.CONTAINERS);
        assertThat(options.toBuilder().build().containerImage()).isEqualTo("postgres:16");
        assertThat(options.toString()).contains("provider=containers, containerImage=postgres:16");
        assertThatThrownBy(() -> DevClusterOptions.builder().containerImage("postgres 17"))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("containerImage"));
        assertThatThrownBy(() -> DevClusterOptions.builder().provider(DevClusterProvider.CONTAINERS).tls(true).build())
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("provider"))
                .hasMessageContaining("neither TLS nor PgBouncer");
        assertThatThrownBy(() -> DevClusterOptions.builder().provider(DevClusterProvider.CONTAINERS)
                .pgbouncer(Pooler.PGBOUNCER_SESSION).build())
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("provider"));
        assertThat(DevClusterProvider.parse(" Containers ")).isEqualTo(DevClusterProvider.CONTAINERS);
        assertThat(DevClusterProvider.LOCAL.value()).isEqualTo("local");
    }

    @Test
    void pgBouncerIsAPoolModeInFrontOfAPlainCluster() {
        assertThat(DevClusterOptions.defaults().pgbouncer()).isEmpty();
        DevClusterOptions options = DevClusterOptions.builder().pgbouncer(Pooler.PGBOUNCER_TRANSACTION).build();
        assertThat(options.pgbouncer()).contains(Pooler.PGBOUNCER_TRANSACTION);
        assertThat(options.toBuilder().build().pgbouncer()).contains(Pooler.PGBOUNCER_TRANSACTION);
        assertThat(options.toString()).contains("pgbouncer=pgbouncer-transaction");
        assertThatThrownBy(() -> DevClusterOptions.builder().pgbouncer(Pooler.NONE))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("pgbouncer"));
        assertThatThrownBy(() -> DevClusterOptions.builder().pgbouncer(Pooler.PGBOUNCER_SESSION).tls(true).build())
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("pgbouncer"));
    }

    @Test
    void theShutdownHookCanBeLeftToTheOwner() {
        DevClusterOptions options = DevClusterOptions.builder().shutdownHook(false).build();

        assertThat(options.shutdownHook()).isFalse();
        assertThat(options.toBuilder().build().shutdownHook()).isFalse();
        assertThat(options.toString()).contains("shutdownHook=false");
    }

    @Test
    void replicasMustNotBeNegative() {
        assertThatThrownBy(() -> DevClusterOptions.builder().replicas(-1))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("replicas: must be >= 0 but was -1");
    }

    @Test
    void replicasAreCapped() {
        assertThatThrownBy(() -> DevClusterOptions.builder().replicas(DevClusterOptions.MAX_REPLICAS + 1))
                .hasMessageContaining("replicas").hasMessageContaining("<= " + DevClusterOptions.MAX_REPLICAS);
    }

    @Test
    void startTimeoutMustBePositive() {
        assertThatThrownBy(() -> DevClusterOptions.builder().startTimeout(Duration.ZERO))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("startTimeout: must be > 0");
        assertThatThrownBy(() -> DevClusterOptions.builder().startTimeout(Duration.ofSeconds(-5)))
                .hasMessageStartingWith("startTimeout:");
    }

    @Test
    void databaseAndUserMustBePlainIdentifiers() {
        assertThatThrownBy(() -> DevClusterOptions.builder().database("App-DB"))
                .hasMessageStartingWith("database:").hasMessageContaining("'App-DB'");
        assertThatThrownBy(() -> DevClusterOptions.builder().database("postgres"))
                .hasMessageStartingWith("database:");
        assertThatThrownBy(() -> DevClusterOptions.builder().appUser("postgres"))
                .hasMessageStartingWith("appUser:");
        assertThatThrownBy(() -> DevClusterOptions.builder().appUser("replicator"))
                .hasMessageStartingWith("appUser:");
        assertThatThrownBy(() -> DevClusterOptions.builder().appUser("a b"))
                .hasMessageStartingWith("appUser:");
    }

    @Test
    void baseDirAndBinDirMustNotBeBlank() {
        assertThatThrownBy(() -> DevClusterOptions.builder().baseDir(Path.of("")))
                .hasMessageStartingWith("baseDir:");
        assertThatThrownBy(() -> DevClusterOptions.builder().binDir(Path.of("")))
                .hasMessageStartingWith("binDir:");
    }

    @Test
    void postgresqlConfRejectsManagedSettingsAndLineBreaks() {
        assertThatThrownBy(() -> DevClusterOptions.builder().postgresqlConf("port", "5432"))
                .hasMessageStartingWith("postgresqlConf:").hasMessageContaining("'port'");
        assertThatThrownBy(() -> DevClusterOptions.builder().postgresqlConf("work_mem", "4MB\nfsync = on"))
                .hasMessageStartingWith("postgresqlConf:").hasMessageContaining("line breaks");
        assertThatThrownBy(() -> DevClusterOptions.builder().postgresqlConf("bad name", "1"))
                .hasMessageStartingWith("postgresqlConf:");
    }

    @Test
    void builderRoundTripsAndKeepsSettingOrder() {
        DevClusterOptions options = DevClusterOptions.builder()
                .replicas(0)
                .binDir(Path.of("/opt/pg/bin"))
                .baseDir(Path.of("relative/dir"))
                .database("orders")
                .appUser("orders_app")
                .startTimeout(Duration.ofSeconds(30))
                .postgresqlConf("work_mem", "16MB")
                .postgresqlConf("log_min_duration_statement", "0")
                .build();

        DevClusterOptions copy = options.toBuilder().build();

        assertThat(copy.toString()).isEqualTo(options.toString());
        assertThat(copy.baseDir()).isAbsolute().endsWithRaw(Path.of("relative/dir"));
        assertThat(copy.postgresqlConf().keySet()).containsExactly("work_mem", "log_min_duration_statement");
        assertThat(copy.postgresqlConf()).isEqualTo(Map.of("work_mem", "16MB", "log_min_duration_statement", "0"));
    }
}
