package io.reactivedb.devservices;

import io.reactivedb.tools.PostgresBinaries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

@Tag("database")
class DevClusterIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void oneReplicaClusterReplicatesAndSurvivesFaults() throws Exception {
        DevCluster cluster = DevCluster.start(DevClusterOptions.builder().replicas(1).build());
        Path directory = cluster.directory();
        DevNode primary = cluster.primary();
        DevNode replica = cluster.replicas().get(0);
        try {
            assertThat(directory.getFileName().toString()).startsWith("cluster-");
            assertThat(Files.readString(directory.resolve("owner.pid")).strip())
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));
            assertThat(cluster.nodes()).containsExactly(primary, replica);
            assertThat(primary.name()).isEqualTo("node-0");
            assertThat(replica.name()).isEqualTo("node-1");
            assertThat(primary.port()).isNotEqualTo(replica.port());
            assertThat(cluster.serverVersion()).startsWith("postgres (PostgreSQL)");

            // roles
            assertThat(cluster.psql(primary, "app", "select pg_is_in_recovery()")).isEqualTo("f");
            assertThat(cluster.psql(replica, "app", "select pg_is_in_recovery()")).isEqualTo("t");

            // users, database, extension
            assertThat(cluster.psql(primary, "app",
                    "select rolsuper, rolcreaterole, pg_has_role('app', 'pg_monitor', 'member') from pg_roles where rolname = 'app'"))
                    .isEqualTo("f|f|f");
            assertThat(cluster.psql(primary, "app",
                    "select rolsuper, pg_has_role('app_health', 'pg_monitor', 'member') from pg_roles where rolname = 'app_health'"))
                    .isEqualTo("f|t");
            assertThat(cluster.psql(primary, "app", "select pg_get_userbyid(datdba) from pg_database where datname = 'app'"))
                    .isEqualTo(cluster.migrationUser());
            assertThat(cluster.psql(primary, "app", "select count(*) from pg_extension where extname = 'pg_stat_statements'"))
                    .isEqualTo("1");
            assertThat(psqlAsAppUser(cluster, primary, "select current_user")).isEqualTo("app");

            // settings
            ReactiveDbSettings settings = cluster.settings();
            assertThat(settings.primary().name()).isEqualTo("primary");
            assertThat(settings.primary().port()).isEqualTo(primary.port());
            assertThat(settings.primary().username()).isEqualTo("app");
            assertThat(settings.primary().password().reveal()).isEqualTo(cluster.appPassword().reveal()).hasSize(24);
            assertThat(settings.replicas()).extracting(EndpointSettings::name).containsExactly("replica-1");
            assertThat(settings.replicas()).extracting(EndpointSettings::port).containsExactly(replica.port());
            assertThat(settings.replicas()).extracting(EndpointSettings::role).containsExactly(EndpointRole.REPLICA);
            assertThat(cluster.superuserEndpoint(replica).username()).isEqualTo("postgres");
            assertThat(cluster.superuserEndpoint(replica).database()).isEqualTo("app");
            assertThat(cluster.databaseUrl(replica)).isEqualTo("postgresql://app@127.0.0.1:" + replica.port() + "/app");
            assertThat(settings.toString()).doesNotContain(cluster.appPassword().reveal());

            // replication
            cluster.psql(primary, "app", "create table replicated(id int primary key); insert into replicated values (1)");
            awaitTrue("table replicated to appear on the replica",
                    () -> cluster.psql(replica, "app", "select to_regclass('public.replicated') is not null").equals("t"));
            assertThat(cluster.psql(replica, "app", "select count(*) from replicated")).isEqualTo("1");

            // crash and restart of the replica
            cluster.kill(replica);
            assertThat(cluster.isRunning(replica)).isFalse();
            assertThatThrownBy(() -> cluster.psql(replica, "app", "select 1"))
                    .isInstanceOf(DevServicesException.class)
                    .hasMessageContaining("psql")
                    .hasMessageNotContaining(cluster.superuserPassword().reveal());
            cluster.start(replica);
            assertThat(cluster.isRunning(replica)).isTrue();
            cluster.awaitReplicasStreaming(WAIT);

            // replay pause
            cluster.pauseReplay(replica);
            assertThat(cluster.psql(replica, "app", "select pg_is_wal_replay_paused()")).isEqualTo("t");
            cluster.resumeReplay(replica);
            assertThat(cluster.psql(replica, "app", "select pg_is_wal_replay_paused()")).isEqualTo("f");

            // restart of the primary, replica reconnects
            cluster.restart(primary);
            cluster.awaitReplicasStreaming(WAIT);

            // promotion
            cluster.stop(primary);
            cluster.promote(replica);
            assertThat(cluster.psql(replica, "app", "select pg_is_in_recovery()")).isEqualTo("f");
            cluster.psql(replica, "app", "insert into replicated values (2)");
        } finally {
            cluster.close();
        }
        cluster.close(); // idempotent

        assertThat(directory).doesNotExist();
        for (DevNode node : cluster.nodes()) {
            assertThat(cluster.isRunning(node)).as("%s running after close", node).isFalse();
        }
        assertThatThrownBy(() -> cluster.psql(primary, "app", "select 1")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeStopsEveryPostmaster() throws Exception {
        DevCluster cluster = DevCluster.start(DevClusterOptions.builder().replicas(1).build());
        List<Long> pids = List.of(postmasterPid(cluster.primary()), postmasterPid(cluster.replicas().get(0)));
        assertThat(pids).allSatisfy(pid -> assertThat(isAlive(pid)).isTrue());

        cluster.close();

        assertThat(cluster.directory()).doesNotExist();
        assertThat(pids).allSatisfy(pid -> assertThat(isAlive(pid)).as("postmaster %s alive", pid).isFalse());
    }

    @Test
    void staleClusterOfADeadJvmIsStoppedAndDeletedButLiveOnesAreKept() throws Exception {
        Path base = Path.of("target/reactive-db-devservices-stale-it").toAbsolutePath();
        DevClusterOptions options = DevClusterOptions.builder().replicas(0).baseDir(base).build();
        DevCluster live = DevCluster.start(options);
        DevCluster stale = DevCluster.start(options);
        try {
            Path staleDir = stale.directory();
            long stalePostmaster = postmasterPid(stale.primary());
            assertThat(isAlive(stalePostmaster)).isTrue();
            Files.writeString(staleDir.resolve("owner.pid"), deadPid() + "\n", StandardCharsets.UTF_8);

            try (DevCluster fresh = DevCluster.start(options)) {
                assertThat(staleDir).doesNotExist();
                assertThat(isAlive(stalePostmaster)).as("stale postmaster alive").isFalse();
                assertThat(live.directory()).isDirectory();
                assertThat(live.psql(live.primary(), "app", "select 1")).isEqualTo("1");
                assertThat(fresh.psql(fresh.primary(), "app", "select pg_is_in_recovery()")).isEqualTo("f");
            }
        } finally {
            stale.close();
            live.close();
        }
        assertThat(live.directory()).doesNotExist();
    }

    @Test
    @EnabledIf("runningAsRoot")
    void asRootFallsBackToTmpWhenPostgresCannotReachBaseDir(@TempDir Path closedToOthers) throws Exception {
        // @TempDir folders are mode 700 and owned by root: the postgres OS user cannot traverse them.
        Path base = closedToOthers.resolve("base");
        try (DevCluster cluster = DevCluster.start(DevClusterOptions.builder().replicas(0).baseDir(base).build())) {
            assertThat(cluster.directory()).startsWith(ClusterFolders.FALLBACK_BASE_DIR);
            assertThat(cluster.psql(cluster.primary(), "app", "select 1")).isEqualTo("1");
        }
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static long deadPid() throws Exception {
        Process process = new ProcessBuilder("true").start();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        long pid = process.pid();
        assertThat(isAlive(pid)).isFalse();
        return pid;
    }

    private static long postmasterPid(DevNode node) throws IOException {
        return Long.parseLong(Files.readAllLines(node.dataDir().resolve("postmaster.pid")).get(0).strip());
    }

    /** Alive and not a zombie (an exited postmaster is re-parented to init, which may reap it late). */
    private static boolean isAlive(long pid) {
        return PgControl.isLive(pid);
    }

    /** Logs in as the application user with its password (SCRAM over TCP). */
    private static String psqlAsAppUser(DevCluster cluster, DevNode node, String sql) throws Exception {
        Path psql = PostgresBinaries.locate(Optional.empty()).executable("psql");
        ProcessBuilder builder = new ProcessBuilder(psql.toString(), "-X", "-A", "-t", "-h", node.host(), "-p",
                Integer.toString(node.port()), "-U", cluster.appUser(), "-d", cluster.database(), "-c", sql)
                .redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", cluster.appPassword().reveal());
        Process process = builder.start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("psql as app finished").isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.exitValue()).as("psql as app: %s", output).isZero();
        return output;
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
