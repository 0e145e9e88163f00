package io.reactivedb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

class EnvironmentSettingsTest {

    static final String PASSWORD = "S3cr3t-P@ss";
    static final String ENCODED = "S3cr3t-P%40ss";
    static final String URL = "postgresql://app:" + ENCODED + "@db.example.com:5433/orders";

    @TempDir
    Path dir;

    static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void migrationsLogInAsTheMigrationRoleOnThePrimaryOnly() {
        Map<String, String> env = env("DATABASE_URL", URL, "DB_READ_REPLICA_URLS", "postgresql://app@replica.example.com/orders",
                "DB_MIGRATION_USER", "orders_ddl", "DB_MIGRATION_PASSWORD", "ddl-secret");
        ReactiveDbSettings settings = EnvironmentSettings.parse(env);

        ReactiveDbSettings migration = EnvironmentSettings.migrationSettings(env, settings);

        assertThat(migration.replicas()).isEmpty();
        assertThat(migration.primary().host()).isEqualTo("db.example.com");
        assertThat(migration.primary().database()).isEqualTo("orders");
        assertThat(migration.primary().username()).isEqualTo("orders_ddl");
        assertThat(migration.primary().password().reveal()).isEqualTo("ddl-secret");
        assertThat(migration.toString()).doesNotContain("ddl-secret");
        assertThat(EnvironmentSettings.likelyTypos(env.keySet())).isEmpty();
    }

    @Test
    void withoutAMigrationRoleMigrationsUseThePrimarysLogin() {
        Map<String, String> env = env("DATABASE_URL", URL);
        ReactiveDbSettings migration = EnvironmentSettings.migrationSettings(env, EnvironmentSettings.parse(env));
        assertThat(migration.primary().username()).isEqualTo("app");
        assertThat(migration.primary().password().reveal()).isEqualTo(PASSWORD);
    }

    @Test
    void aMigrationPasswordWithoutItsUserIsRefusedByName() {
        Map<String, String> env = env("DATABASE_URL", URL, "DB_MIGRATION_PASSWORD", "ddl-secret");
        assertThatThrownBy(() -> EnvironmentSettings.migrationSettings(env, EnvironmentSettings.parse(env)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("DB_MIGRATION_PASSWORD")
                .hasMessageContaining("DB_MIGRATION_USER")
                .hasMessageNotContaining("ddl-secret");
    }

    @Test
    void databaseUrlAndDefaults() {
        ReactiveDbSettings settings = EnvironmentSettings.parse(env("DATABASE_URL", URL, "PATH", "/usr/bin"));
        EndpointSettings primary = settings.primary();
        assertThat(primary.name()).isEqualTo("primary");
        assertThat(primary.role()).isEqualTo(EndpointRole.PRIMARY);
        assertThat(primary.host()).isEqualTo("db.example.com");
        assertThat(primary.port()).isEqualTo(5433);
        assertThat(primary.database()).isEqualTo("orders");
        assertThat(primary.username()).isEqualTo("app");
        assertThat(primary.password().reveal()).isEqualTo(PASSWORD);
        assertThat(primary.tls()).isEqualTo(TlsSettings.disabled());
        assertThat(settings.replicas()).isEmpty();
        assertThat(settings.pool().toString()).isEqualTo(PoolSettings.defaults().toString());
        assertThat(settings.session().toString()).isEqualTo(SessionSettings.defaults().toString());
        assertThat(settings.replicaSelection()).isEqualTo(ReplicaSelection.WEIGHTED_ROUND_ROBIN);
        assertThat(settings.shutdownTimeout()).isEqualTo(ReactiveDbSettings.DEFAULT_SHUTDOWN_TIMEOUT);
        assertThat(settings.toString()).doesNotContain(PASSWORD).doesNotContain(ENCODED);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "r2dbc:postgresql://app:" + ENCODED + "@db.example.com:5433/orders",
            "r2dbc:pool:postgres://app:" + ENCODED + "@db.example.com:5433/orders",
            "postgres://app:" + PASSWORD + "@db.example.com:5433/orders"})
    void otherUrlForms(String url) {
        EndpointSettings primary = EnvironmentSettings.parse(env("DATABASE_URL", url)).primary();
        assertThat(primary.host()).isEqualTo("db.example.com");
        assertThat(primary.password().reveal()).isEqualTo(PASSWORD);
    }

    @Test
    void databaseDefaultsToTheUserAsInPostgreSql() {
        EndpointSettings withUser = EnvironmentSettings.parse(env("DATABASE_URL", "postgresql://app@db")).primary();
        assertThat(withUser.database()).isEqualTo("app");
        assertThat(withUser.port()).isEqualTo(5432);
        assertThat(withUser.password().isEmpty()).isTrue();
        EndpointSettings bare = EnvironmentSettings.parse(env("DATABASE_URL", "postgresql://[::1]")).primary();
        assertThat(bare.host()).isEqualTo("::1");
        assertThat(bare.username()).isEqualTo("postgres");
        assertThat(bare.database()).isEqualTo("postgres");
    }

    @Test
    void dbPasswordFillsAPasswordMissingFromTheUrl() {
        EndpointSettings primary = EnvironmentSettings.parse(env("DATABASE_URL", "postgresql://app@db/orders", "DB_PASSWORD", PASSWORD)).primary();
        assertThat(primary.password().reveal()).isEqualTo(PASSWORD);
    }

    @Test
    void dbPasswordIsTakenVerbatim() {
        EndpointSettings primary = EnvironmentSettings.parse(env("DB_HOST", "db", "DB_PASSWORD", "  spaced  ")).primary();
        assertThat(primary.password().reveal()).isEqualTo("  spaced  ");
    }

    @Test
    void hostForm() {
        ReactiveDbSettings settings = EnvironmentSettings.parse(env(
                "DB_HOST", " db.internal ", "DB_PORT", "6432", "DB_USER", "app", "DB_PASSWORD", PASSWORD, "DB_NAME", "orders"));
        EndpointSettings primary = settings.primary();
        assertThat(primary.host()).isEqualTo("db.internal");
        assertThat(primary.port()).isEqualTo(6432);
        assertThat(primary.username()).isEqualTo("app");
        assertThat(primary.database()).isEqualTo("orders");
        assertThat(primary.password().reveal()).isEqualTo(PASSWORD);
        assertThat(settings.toString()).doesNotContain(PASSWORD);
    }

    @Test
    void hostFormDefaults() {
        EndpointSettings primary = EnvironmentSettings.parse(env("DB_HOST", "[::1]", "DB_USER", "app")).primary();
        assertThat(primary.host()).isEqualTo("::1");
        assertThat(primary.port()).isEqualTo(5432);
        assertThat(primary.database()).isEqualTo("app");
        assertThat(primary.password().isEmpty()).isTrue();
        EndpointSettings bare = EnvironmentSettings.parse(env("DB_HOST", "10.0.0.5")).primary();
        assertThat(bare.username()).isEqualTo("postgres");
        assertThat(bare.database()).isEqualTo("postgres");
    }

    @Test
    void emptyValuesCountAsUnset() {
        ReactiveDbSettings settings = EnvironmentSettings.parse(env("DB_HOST", "db", "DATABASE_URL", "", "DB_PORT", "  ",
                "DB_POOL_SIZE", "", "DB_PASSWORD", "", "DB_PASSWORD_FILE", "", "DB_READ_REPLICA_URLS", " ", "DB_SSLMODE", ""));
        assertThat(settings.primary().port()).isEqualTo(5432);
        assertThat(settings.primary().password().isEmpty()).isTrue();
        assertThat(settings.pool().maxSize()).isEqualTo(PoolSettings.DEFAULT_MAX_SIZE);
        assertThat(settings.replicas()).isEmpty();
    }

    @Test
    void withoutAPrimaryParseFailsButTheBuilderCanBeCompleted() {
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DB_POOL_SIZE", "5")))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DATABASE_URL"));
        ReactiveDbSettings settings = EnvironmentSettings.parseToBuilder(env("DB_POOL_SIZE", "5"))
                .primary(EndpointSettings.builder().host("elsewhere").build())
                .build();
        assertThat(settings.primary().host()).isEqualTo("elsewhere");
        assertThat(settings.pool().maxSize()).isEqualTo(5);
    }

    @Test
    void callersCanOverrideParsedSettings() {
        ReactiveDbSettings settings = EnvironmentSettings.parseToBuilder(env("DATABASE_URL", URL, "DB_SHUTDOWN_TIMEOUT", "5"))
                .shutdownTimeout(Duration.ofSeconds(9))
                .build();
        assertThat(settings.shutdownTimeout()).isEqualTo(Duration.ofSeconds(9));
    }

    // ---- DB_PASSWORD_FILE ----

    @Test
    void passwordFileIsReadLazilyAndReReadAfterRotation() throws IOException {
        Path file = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
        EndpointSettings primary = EnvironmentSettings.parse(env("DB_HOST", "db", "DB_PASSWORD_FILE", file.toString())).primary();
        assertThat(primary.password().reveal()).isEqualTo(PASSWORD);
        assertThat(primary.password().isEmpty()).isFalse();
        assertThat(primary.toString()).doesNotContain(PASSWORD);

        Files.writeString(file, "rotated-" + PASSWORD + "\r\n");
        assertThat(primary.password().reveal()).isEqualTo("rotated-" + PASSWORD);
    }

    @Test
    void passwordFileWorksWithAUrlWithoutPassword() throws IOException {
        Path file = Files.writeString(dir.resolve("password"), PASSWORD);
        EndpointSettings primary = EnvironmentSettings.parse(env("DATABASE_URL", "postgresql://app@db/orders",
                "DB_PASSWORD_FILE", file.toString())).primary();
        assertThat(primary.password().reveal()).isEqualTo(PASSWORD);
    }

    @Test
    void passwordFileThatDisappearsFailsAtConnectTimeWithoutContent() throws IOException {
        Path file = Files.writeString(dir.resolve("password"), PASSWORD);
        EndpointSettings primary = EnvironmentSettings.parse(env("DB_HOST", "db", "DB_PASSWORD_FILE", file.toString())).primary();
        Files.delete(file);
        assertThatThrownBy(() -> primary.password().reveal())
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_PASSWORD_FILE"))
                .hasMessageContaining(file.toString())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
    }

    @Test
    void unreadablePasswordFileFailsAtStartup() throws IOException {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DB_HOST", "db", "DB_PASSWORD_FILE", missing.toString())))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_PASSWORD_FILE"))
                .hasMessageContaining("cannot read");
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DB_HOST", "db", "DB_PASSWORD_FILE", dir.toString())))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_PASSWORD_FILE"));
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DB_HOST", "db", "DB_PASSWORD_FILE", empty.toString())))
                .hasMessageContaining("is empty");
        Path latin1 = Files.write(dir.resolve("latin1"), new byte[] {'S', '3', (byte) 0xE4, 'x'});
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DB_HOST", "db", "DB_PASSWORD_FILE", latin1.toString())))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_PASSWORD_FILE"))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("S3"));
    }

    // ---- replicas ----

    @Test
    void replicasWithWeightsAndInheritedCredentials() {
        ReactiveDbSettings settings = EnvironmentSettings.parse(env(
                "DATABASE_URL", URL,
                "DB_READ_REPLICA_URLS", " postgresql://replica-a:5434 ,r2dbc:postgresql://reporting:other%40pw@replica-b/analytics,"
                        + "postgresql://app@[fd00::2]",
                "DB_READ_REPLICA_1_WEIGHT", "3",
                "DB_READ_REPLICA_3_WEIGHT", "1000"));
        List<EndpointSettings> replicas = settings.replicas();
        assertThat(replicas).hasSize(3);

        EndpointSettings first = replicas.get(0);
        assertThat(first.name()).isEqualTo("replica-1");
        assertThat(first.role()).isEqualTo(EndpointRole.REPLICA);
        assertThat(first.host()).isEqualTo("replica-a");
        assertThat(first.port()).isEqualTo(5434);
        assertThat(first.username()).isEqualTo("app");
        assertThat(first.password().reveal()).isEqualTo(PASSWORD);
        assertThat(first.database()).isEqualTo("orders");
        assertThat(first.weight()).isEqualTo(3);

        EndpointSettings second = replicas.get(1);
        assertThat(second.name()).isEqualTo("replica-2");
        assertThat(second.username()).isEqualTo("reporting");
        assertThat(second.password().reveal()).isEqualTo("other@pw");
        assertThat(second.database()).isEqualTo("analytics");
        assertThat(second.port()).isEqualTo(5432);
        assertThat(second.weight()).isEqualTo(EndpointSettings.DEFAULT_WEIGHT);

        EndpointSettings third = replicas.get(2);
        assertThat(third.host()).isEqualTo("fd00::2");
        assertThat(third.password().reveal()).isEqualTo(PASSWORD);
        assertThat(third.weight()).isEqualTo(1000);

        assertThat(settings.toString()).doesNotContain(PASSWORD).doesNotContain("other@pw").doesNotContain(ENCODED);
    }

    @Test
    void replicaWithAnotherUserDoesNotGetThePrimarysPassword() {
        EndpointSettings replica = EnvironmentSettings.parse(env("DATABASE_URL", URL,
                "DB_READ_REPLICA_URLS", "postgresql://reader@replica")).replicas().get(0);
        assertThat(replica.username()).isEqualTo("reader");
        assertThat(replica.password().isEmpty()).isTrue();
    }

    @Test
    void replicasInheritAPasswordFromDbPasswordFile() throws IOException {
        Path file = Files.writeString(dir.resolve("password"), "one");
        EndpointSettings replica = EnvironmentSettings.parse(env("DB_HOST", "db", "DB_USER", "app", "DB_PASSWORD_FILE", file.toString(),
                "DB_READ_REPLICA_URLS", "postgresql://replica")).replicas().get(0);
        assertThat(replica.username()).isEqualTo("app");
        assertThat(replica.database()).isEqualTo("app");
        Files.writeString(file, "two");
        assertThat(replica.password().reveal()).isEqualTo("two");
    }

    @Test
    void replicaSessionParametersMustMatchTheSharedOnes() {
        ReactiveDbSettings settings = EnvironmentSettings.parse(env("DATABASE_URL", URL + "?application_name=orders&connect_timeout=5",
                "DB_READ_REPLICA_URLS", "postgresql://replica?application_name=orders&connect_timeout=5s"));
        assertThat(settings.session().applicationName()).isEqualTo("orders");
        assertThat(settings.session().connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DATABASE_URL", URL,
                "DB_READ_REPLICA_URLS", "postgresql://a,postgresql://b?application_name=other")))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_READ_REPLICA_URLS[2]"))
                .hasMessageContaining("application_name");
    }

    // ---- pool, session, routing ----

    @Test
    void poolSettings() {
        PoolSettings pool = EnvironmentSettings.parse(env("DATABASE_URL", URL,
                "DB_POOL_MIN", "2", "DB_POOL_SIZE", "8", "DB_MAX_OVERFLOW", "4",
                "DB_POOL_TIMEOUT", "5", "DB_POOL_RECYCLE", "1h", "DB_POOL_MAX_IDLE", "PT90S",
                "DB_POOL_VALIDATION_QUERY", " SELECT 1 ")).pool();
        assertThat(pool.minIdle()).isEqualTo(2);
        assertThat(pool.maxSize()).isEqualTo(12);
        assertThat(pool.acquireTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(pool.maxLifetime()).isEqualTo(Duration.ofHours(1));
        assertThat(pool.maxIdleTime()).isEqualTo(Duration.ofSeconds(90));
        assertThat(pool.validationQuery()).contains("SELECT 1");
    }

    @Test
    void poolMinMayBeZeroAndAtMostTheMaximum() {
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_POOL_MIN", "0")).pool().minIdle()).isZero();
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_POOL_MIN", "3", "DB_POOL_SIZE", "1", "DB_MAX_OVERFLOW", "2"))
                .pool().minIdle()).isEqualTo(3);
    }

    @Test
    void sessionSettings() {
        SessionSettings session = EnvironmentSettings.parse(env("DATABASE_URL", URL,
                "DB_CONNECT_TIMEOUT", "3", "DB_STATEMENT_TIMEOUT", "1500", "DB_LOCK_TIMEOUT", "2s",
                "DB_IDLE_IN_TRANSACTION_TIMEOUT", "PT1M", "DB_APPLICATION_NAME", "orders-api")).session();
        assertThat(session.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(session.statementTimeout()).contains(Duration.ofMillis(1500));
        assertThat(session.lockTimeout()).contains(Duration.ofSeconds(2));
        assertThat(session.idleInTransactionTimeout()).contains(Duration.ofMinutes(1));
        assertThat(session.applicationName()).isEqualTo("orders-api");
    }

    @Test
    void statementCacheIsBoundedByDefaultAndZeroMeansUnnamedStatements() {
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL)).session().statementCacheSize())
                .isEqualTo(SessionSettings.DEFAULT_STATEMENT_CACHE_SIZE).isEqualTo(256);
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_STATEMENT_CACHE_SIZE", "32")).session().statementCacheSize())
                .isEqualTo(32);
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_STATEMENT_CACHE_SIZE", "0")).session().statementCacheSize())
                .isZero();
    }

    @Test
    void behindATransactionPoolerStatementsAreUnnamedAndSessionTimeoutsAreRefused() {
        SessionSettings session = EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_POOLER", "pgbouncer-transaction",
                "DB_STATEMENT_TIMEOUT", "0")).session();
        assertThat(session.pooler()).isEqualTo(Pooler.PGBOUNCER_TRANSACTION);
        assertThat(session.statementCacheSize()).isZero();
        assertThat(session.toBuilder().build().statementCacheSize()).isZero();
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_POOLER", "PGBOUNCER_TRANSACTION", "DB_STATEMENT_CACHE_SIZE", "0"))
                .session().statementCacheSize()).isZero();

        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_POOLER", "pgbouncer-transaction",
                "DB_STATEMENT_CACHE_SIZE", "100")))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_STATEMENT_CACHE_SIZE"))
                .hasMessageContaining("DB_POOLER=pgbouncer-transaction");
        for (String name : List.of("DB_STATEMENT_TIMEOUT", "DB_LOCK_TIMEOUT", "DB_IDLE_IN_TRANSACTION_TIMEOUT")) {
            assertThatThrownBy(() -> EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_POOLER", "pgbouncer-transaction", name, "5s")))
                    .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo(name))
                    .hasMessageContaining("ALTER ROLE").hasMessageContaining("5000ms");
        }
    }

    @Test
    void behindASessionPoolerTheCacheAndTimeoutsStay() {
        SessionSettings session = EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_POOLER", "pgbouncer-session",
                "DB_STATEMENT_TIMEOUT", "5s")).session();
        assertThat(session.pooler()).isEqualTo(Pooler.PGBOUNCER_SESSION);
        assertThat(session.statementCacheSize()).isEqualTo(SessionSettings.DEFAULT_STATEMENT_CACHE_SIZE);
        assertThat(session.statementTimeout()).contains(Duration.ofSeconds(5));
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL)).session().pooler()).isEqualTo(Pooler.NONE);
    }

    @Test
    void zeroServerTimeoutsLeaveTheServersSetting() {
        SessionSettings session = EnvironmentSettings.parse(env("DATABASE_URL", URL,
                "DB_STATEMENT_TIMEOUT", "0", "DB_LOCK_TIMEOUT", "0s", "DB_IDLE_IN_TRANSACTION_TIMEOUT", "PT0S")).session();
        assertThat(session.statementTimeout()).isEmpty();
        assertThat(session.lockTimeout()).isEmpty();
        assertThat(session.idleInTransactionTimeout()).isEmpty();
    }

    @Test
    void urlSessionParametersAgreeWithVariables() {
        SessionSettings fromUrl = EnvironmentSettings.parse(env("DATABASE_URL", URL + "?application_name=a&connect_timeout=4")).session();
        assertThat(fromUrl.applicationName()).isEqualTo("a");
        assertThat(fromUrl.connectTimeout()).isEqualTo(Duration.ofSeconds(4));
        SessionSettings same = EnvironmentSettings.parse(env("DATABASE_URL", URL + "?connect_timeout=4", "DB_CONNECT_TIMEOUT", "4000ms")).session();
        assertThat(same.connectTimeout()).isEqualTo(Duration.ofSeconds(4));
    }

    @ParameterizedTest
    @ValueSource(strings = {"weighted-round-robin", "WEIGHTED_ROUND_ROBIN", "Weighted-Round_Robin"})
    void weightedRoundRobin(String value) {
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_REPLICA_SELECTION", value)).replicaSelection())
                .isEqualTo(ReplicaSelection.WEIGHTED_ROUND_ROBIN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"least-in-flight", "LEAST_IN_FLIGHT", " least_in-flight "})
    void leastInFlight(String value) {
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_REPLICA_SELECTION", value)).replicaSelection())
                .isEqualTo(ReplicaSelection.LEAST_IN_FLIGHT);
    }

    @Test
    void shutdownTimeout() {
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_SHUTDOWN_TIMEOUT", "45")).shutdownTimeout())
                .isEqualTo(Duration.ofSeconds(45));
        assertThat(EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_SHUTDOWN_TIMEOUT", "1.5m")).shutdownTimeout())
                .isEqualTo(Duration.ofSeconds(90));
    }

    // ---- TLS ----

    @Test
    void tlsVariablesApplyToEveryEndpointUnlessTheUrlOverrides() throws IOException {
        Path root = Files.writeString(dir.resolve("root.crt"), "root");
        Path cert = Files.writeString(dir.resolve("client.crt"), "cert");
        Path key = Files.writeString(dir.resolve("client.key"), "key");
        ReactiveDbSettings settings = EnvironmentSettings.parse(env("DATABASE_URL", URL,
                "DB_SSLMODE", "verify-full", "DB_SSLROOTCERT", root.toString(), "DB_SSLCERT", cert.toString(), "DB_SSLKEY", key.toString(),
                "DB_READ_REPLICA_URLS", "postgresql://r1,postgresql://r2?sslmode=require"));
        TlsSettings expected = new TlsSettings(SslMode.VERIFY_FULL, Optional.of(root), Optional.of(cert), Optional.of(key));
        assertThat(settings.primary().tls()).isEqualTo(expected);
        assertThat(settings.replicas().get(0).tls()).isEqualTo(expected);
        assertThat(settings.replicas().get(1).tls())
                .isEqualTo(new TlsSettings(SslMode.REQUIRE, Optional.of(root), Optional.of(cert), Optional.of(key)));
    }

    @Test
    void tlsForTheHostForm() throws IOException {
        Path root = Files.writeString(dir.resolve("root.crt"), "root");
        EndpointSettings primary = EnvironmentSettings.parse(env("DB_HOST", "db", "DB_SSLMODE", "VERIFY_CA", "DB_SSLROOTCERT", root.toString())).primary();
        assertThat(primary.tls()).isEqualTo(new TlsSettings(SslMode.VERIFY_CA, Optional.of(root), Optional.empty(), Optional.empty()));
    }

    // ---- typos ----

    @Test
    void likelyTyposAreReportedByNameOnly() {
        List<String> warnings = EnvironmentSettings.likelyTypos(List.of(
                "DB_POOL_SIZ", "DB_POOL_SZIE", "db_pool_size", "DATABSE_URL", "DB_READ_REPLICA_2_WIEGHT",
                "DB_POOL_SIZE", "DB_READ_REPLICA_2_WEIGHT", "DB_MIGRATIONS_TABLE", "PATH", "HOME", "DB_SCHEMA_OWNER_ROLE"));
        assertThat(warnings).containsExactlyInAnyOrder(
                "Environment variable DATABSE_URL is not a reactive-db setting and is ignored; did you mean DATABASE_URL?",
                "Environment variable DB_POOL_SIZ is not a reactive-db setting and is ignored; did you mean DB_POOL_SIZE?",
                "Environment variable DB_POOL_SZIE is not a reactive-db setting and is ignored; did you mean DB_POOL_SIZE?",
                "Environment variable DB_READ_REPLICA_2_WIEGHT is not a reactive-db setting and is ignored; did you mean DB_READ_REPLICA_<n>_WEIGHT?",
                "Environment variable db_pool_size is not a reactive-db setting and is ignored; did you mean DB_POOL_SIZE?");
    }

    @Test
    void parseLogsTyposWithoutValues() {
        Logger logger = (Logger) LoggerFactory.getLogger(EnvironmentSettings.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            ReactiveDbSettings settings = EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_PASWORD", PASSWORD, "DB_POOL_SIZ", "7"));
            assertThat(settings.pool().maxSize()).isEqualTo(PoolSettings.DEFAULT_MAX_SIZE);
        } finally {
            logger.detachAppender(appender);
        }
        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "Environment variable DB_PASWORD is not a reactive-db setting and is ignored; did you mean DB_PASSWORD?",
                "Environment variable DB_POOL_SIZ is not a reactive-db setting and is ignored; did you mean DB_POOL_SIZE?");
        assertThat(appender.list).allSatisfy(event -> assertThat(event.getLevel().toString()).isEqualTo("WARN"));
    }

    @Test
    void editDistance() {
        assertThat(EnvironmentSettings.editDistance("DB_POOL_SIZE", "DB_POOL_SIZE")).isZero();
        assertThat(EnvironmentSettings.editDistance("DB_POOL_SIZ", "DB_POOL_SIZE")).isEqualTo(1);
        assertThat(EnvironmentSettings.editDistance("DB_POOL_SZIE", "DB_POOL_SIZE")).isEqualTo(1);
        assertThat(EnvironmentSettings.editDistance("DB_POL_SZE", "DB_POOL_SIZE")).isEqualTo(2);
        assertThat(EnvironmentSettings.editDistance("", "ABC")).isEqualTo(3);
    }
}
