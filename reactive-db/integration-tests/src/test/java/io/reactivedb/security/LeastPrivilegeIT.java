package io.reactivedb.security;

import io.reactivedb.routing.RouterFeature;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.routing.ReactiveDbRouter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dev cluster's roles hold only what they need: the application role reads and writes the
 * migration role's tables and can do nothing else; the health role runs the probe and monitoring
 * queries and reads no table. Everything refused is refused by the server with {@code 42501}.
 */
@DevClusterTest
class LeastPrivilegeIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static DevCluster cluster;
    private static ReactiveDbRouter app;
    private static ReactiveDbRouter migrator;
    private static ReactiveDbRouter health;

    @BeforeAll
    static void routers(DevCluster shared) {
        cluster = shared;
        app = router(cluster.settings());
        migrator = router(cluster.migrationSettings());
        ReactiveDbSettings healthOnly = ReactiveDbSettings.builder().primary(cluster.endpoint(cluster.primary(), EndpointRole.PRIMARY)
                .toBuilder().username(cluster.healthUser()).password(cluster.healthPassword()).build()).build();
        health = router(healthOnly);
        cluster.psql(cluster.primary(), cluster.database(), "CREATE SCHEMA IF NOT EXISTS other;"
                + " CREATE TABLE IF NOT EXISTS other.ledger (id int PRIMARY KEY);"
                + " GRANT USAGE ON SCHEMA other TO " + cluster.appUser() + "; GRANT SELECT ON other.ledger TO " + cluster.appUser());
        migrator.write(s -> s.execute("CREATE TABLE IF NOT EXISTS least_privilege_it (id int PRIMARY KEY, note text NOT NULL)")).blockLast(WAIT);
    }

    @AfterAll
    static void close() {
        for (ReactiveDbRouter router : new ReactiveDbRouter[] {app, migrator, health}) {
            if (router != null) {
                router.shutdown().block(WAIT);
            }
        }
    }

    private static ReactiveDbRouter router(ReactiveDbSettings settings) {
        return ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING, RouterFeature.RETRY).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "CREATE ROLE intruder LOGIN SUPERUSER",
            "CREATE ROLE intruder",
            "ALTER SYSTEM SET log_statement = 'none'",
            "COPY (SELECT 1) TO PROGRAM 'id'",
            "COPY least_privilege_it FROM PROGRAM 'echo 1'",
            "COPY least_privilege_it TO '/tmp/least_privilege_it.csv'",
            "DROP TABLE other.ledger",
            "DROP TABLE least_privilege_it",
            "ALTER TABLE least_privilege_it ADD COLUMN extra int",
            "TRUNCATE least_privilege_it",
            "CREATE TABLE public.planted (id int)",
            "CREATE SCHEMA planted",
            "CREATE EXTENSION IF NOT EXISTS dblink",
            "SELECT pg_read_file('/etc/passwd')",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'postgres'",
            "GRANT pg_read_all_data TO CURRENT_USER",
            "INSERT INTO other.ledger VALUES (1)"})
    void theApplicationRoleIsRefusedWith42501(String sql) {
        assertThatThrownBy(() -> app.write(s -> s.execute(sql)).blockLast(WAIT))
                .isInstanceOfSatisfying(ReactiveDbException.class, e -> assertThat(e.sqlState()).as(e.getMessage()).contains("42501"));
    }

    @Test
    void theApplicationRoleReadsAndWritesTheMigrationRolesTables() {
        assertThat(app.write(s -> s.execute("INSERT INTO least_privilege_it VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET note = $2",
                1, "ok")).blockLast(WAIT)).isEqualTo(1L);
        assertThat(app.write(s -> s.query("SELECT note FROM least_privilege_it WHERE id = $1", row -> row.get(0, String.class), 1))
                .blockLast(WAIT)).isEqualTo("ok");
        assertThat(app.write(s -> s.execute("DELETE FROM least_privilege_it WHERE id = $1", 1)).blockLast(WAIT)).isEqualTo(1L);
        assertThat(app.write(s -> s.query("SELECT count(*) FROM other.ledger", row -> row.get(0, Long.class))).blockLast(WAIT)).isZero();
    }

    @Test
    void theHealthRoleRunsTheProbeAndMonitoringQueriesButReadsNoTable() {
        String probe = health.write(s -> s.query("SELECT pg_is_in_recovery()::text || ' ' || pg_current_wal_insert_lsn()::text"
                + " || ' ' || pg_walfile_name(pg_current_wal_lsn())", row -> row.get(0, String.class))).blockLast(WAIT);
        assertThat(probe).startsWith("false ");
        // pg_monitor shows the replication details that lag queries need; the application role sees them hidden.
        String visible = "SELECT count(*) FROM pg_stat_replication WHERE replay_lsn IS NOT NULL";
        assertThat(health.write(s -> s.query(visible, row -> row.get(0, Long.class))).blockLast(WAIT))
                .isEqualTo((long) cluster.replicas().size());
        assertThat(app.write(s -> s.query(visible, row -> row.get(0, Long.class))).blockLast(WAIT)).isZero();

        for (String sql : List.of("SELECT * FROM least_privilege_it", "SELECT * FROM other.ledger",
                "INSERT INTO least_privilege_it VALUES (2, 'x')", "CREATE TABLE public.planted (id int)")) {
            assertThatThrownBy(() -> health.write(s -> s.execute(sql)).blockLast(WAIT)).as(sql)
                    .isInstanceOfSatisfying(ReactiveDbException.class, e -> assertThat(e.sqlState()).contains("42501"));
        }
    }

    @Test
    void noDevRoleIsPrivilegedAndOnlyTheMigrationRoleOwnsTheSchema() {
        String roles = cluster.psql(cluster.primary(), cluster.database(), "SELECT string_agg(rolname || ':' || rolsuper || rolcreaterole"
                + " || rolcreatedb || rolreplication || rolbypassrls, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('"
                + cluster.appUser() + "', '" + cluster.migrationUser() + "', '" + cluster.healthUser() + "')");
        assertThat(roles).isEqualTo(cluster.appUser() + ":falsefalsefalsefalsefalse," + cluster.healthUser() + ":falsefalsefalsefalsefalse,"
                + cluster.migrationUser() + ":falsefalsefalsefalsefalse");
        assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'public'"))
                .isEqualTo(cluster.migrationUser());
        assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT tableowner FROM pg_tables WHERE tablename = 'least_privilege_it'"))
                .isEqualTo(cluster.migrationUser());
    }

    @Test
    void theBackupRoleReadsEveryTableMayCreateDatabasesAndWritesNothing() {
        String role = cluster.psql(cluster.primary(), cluster.database(), "SELECT rolsuper || ':' || rolcreatedb || ':' || rolcreaterole"
                + " || ':' || rolreplication || ':' || rolbypassrls || ':' || pg_has_role(rolname, 'pg_read_all_data', 'MEMBER')"
                + " || ':' || pg_has_role(rolname, 'pg_write_all_data', 'MEMBER') FROM pg_roles WHERE rolname = '" + cluster.backupUser() + "'");
        assertThat(role).isEqualTo("false:true:false:false:false:true:false");
        ReactiveDbSettings backupOnly = ReactiveDbSettings.builder().primary(cluster.backupEndpoint()).build();
        ReactiveDbRouter backup = router(backupOnly);
        try {
            assertThat(backup.read(s -> s.query("SELECT count(*) FROM least_privilege_it", row -> row.get(0, Long.class))).blockLast(WAIT))
                    .isNotNull();
            assertThatThrownBy(() -> backup.write(s -> s.execute("INSERT INTO least_privilege_it VALUES (-1, 'x')")).blockLast(WAIT))
                    .isInstanceOfSatisfying(ReactiveDbException.class, e -> assertThat(e.sqlState()).contains("42501"));
        } finally {
            backup.shutdown().block(WAIT);
        }
    }

    /** The dev roles are created with SCRAM verifiers computed client-side, from a session that tracks and logs nothing. */
    @Test
    void noGeneratedPasswordReachesTheStatisticsOrTheServerLog() throws Exception {
        List<String> secrets = List.of(cluster.appPassword().reveal(), cluster.migrationPassword().reveal(), cluster.healthPassword().reveal(),
                cluster.backupPassword().reveal(), cluster.superuserPassword().reveal());
        String statements = cluster.psql(cluster.primary(), cluster.database(), "SELECT coalesce(string_agg(query, E'\\n'), '')"
                + " FROM pg_stat_statements");
        assertThat(statements).as("pg_stat_statements was read").isNotEmpty();
        String log = Files.readString(cluster.primary().logFile());
        for (String secret : secrets) {
            assertThat(statements).doesNotContain(secret);
            assertThat(log).doesNotContain(secret);
        }
        for (String role : List.of(cluster.appUser(), cluster.migrationUser(), cluster.healthUser(), cluster.backupUser())) {
            assertThat(statements).as("the statement creating " + role).doesNotContainIgnoringCase("CREATE ROLE \"" + role + "\"");
        }
        // The verifier stored is the one computed here: the login with the password works.
        assertThat(app.read(s -> s.query("SELECT current_user", row -> row.get(0, String.class))).blockLast(WAIT)).isEqualTo(cluster.appUser());
    }
}
