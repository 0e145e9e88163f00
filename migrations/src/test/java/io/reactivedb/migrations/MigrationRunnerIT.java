package io.reactivedb.migrations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;

@DevClusterTest
class MigrationRunnerIT {

    private static final List<String> DEMO_IDS = List.of("001-create-account", "002-create-transfer", "003-index-transfer-source", "004-tag-v1");
    /** Run by the application user it is marked as ran, not applied: the role may not create the extension. */
    private static final String EXTENSION_ID = "005-pg-stat-statements";
    private static final List<String> ALL_IDS = List.of("001-create-account", "002-create-transfer", "003-index-transfer-source", "004-tag-v1",
            EXTENSION_ID);

    private DevCluster cluster;
    private String database;
    private MigrationRunner runner;

    @BeforeEach
    void freshDatabase(DevCluster cluster) {
        this.cluster = cluster;
        this.database = createDatabase(cluster);
        this.runner = MigrationRunner.create(settingsFor(cluster, database)).withLockWait(Duration.ofSeconds(5));
    }

    static String createDatabase(DevCluster cluster) {
        String name = "migr_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        cluster.psql(cluster.primary(), "postgres", "CREATE DATABASE " + name + " OWNER " + cluster.appUser());
        return name;
    }

    static ReactiveDbSettings settingsFor(DevCluster cluster, String database) {
        ReactiveDbSettings base = cluster.settings();
        return base.toBuilder().primary(base.primary().toBuilder().database(database).build()).replicas(List.of()).build();
    }

    private String sql(String query) {
        return cluster.psql(cluster.primary(), database, query);
    }

    @Test
    void updateAppliesAllOnceThenNothingAndStatusShowsV1() {
        MigrationStatus before = runner.status();
        assertThat(before.pendingCount()).isEqualTo(5);
        assertThat(before.currentVersion()).isEmpty();

        List<ChangeSetRef> applied = runner.update();
        assertThat(applied).extracting(ChangeSetRef::id).containsExactlyElementsOf(DEMO_IDS);
        assertThat(runner.update()).isEmpty();

        MigrationStatus status = runner.statusAsync().block(Duration.ofSeconds(30));
        assertThat(status.pendingCount()).isZero();
        assertThat(status.currentVersion()).contains(EXTENSION_ID);
        assertThat(status.lastApplied()).isPresent();
        assertThat(sql("SELECT count(*) FROM databasechangelog")).isEqualTo("5");
        assertThat(sql("SELECT exectype FROM databasechangelog WHERE id = '" + EXTENSION_ID + "'")).isEqualTo("MARK_RAN");
        assertThat(sql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")).isEqualTo("0");
        assertThat(runner.history()).extracting(row -> row.changeSet().id()).containsExactlyElementsOf(ALL_IDS);
        assertThat(runner.history().get(3).tag()).contains("v1");
        assertThat(runner.history().get(0).changeSet().file()).isEqualTo("db/changelog/changes/001-create-account.yaml");
        runner.validate();
    }

    @Test
    void rollbackByCountAndToTagThenUpdateAgain() {
        runner.update();
        runner.tag("after-v1");

        assertThat(runner.rollbackCount(3)).extracting(ChangeSetRef::id)
                .containsExactly(EXTENSION_ID, "004-tag-v1", "003-index-transfer-source");
        assertThat(sql("SELECT to_regclass('public.transfer_source_created_idx') IS NULL")).isEqualTo("t");
        assertThat(runner.status().pendingCount()).isEqualTo(3);

        runner.update(1);
        runner.tag("with-index");
        runner.update();
        assertThat(runner.rollbackToTag("with-index")).extracting(ChangeSetRef::id).containsExactly(EXTENSION_ID, "004-tag-v1");
        assertThat(runner.status().currentVersion()).contains("with-index");

        assertThat(runner.rollbackCount(10)).hasSize(3);
        assertThat(sql("SELECT to_regclass('public.account') IS NULL")).isEqualTo("t");
        assertThat(runner.update()).hasSize(4);
        assertThat(runner.status().currentVersion()).contains(EXTENSION_ID);
        // The tag v1 is set by the change set 004-tag-v1 itself: it stays, only what came after it goes.
        assertThat(runner.rollbackToTag("v1")).extracting(ChangeSetRef::id).containsExactly(EXTENSION_ID);
        assertThat(runner.status().currentVersion()).contains("v1");
        assertThat(runner.status().pendingCount()).isEqualTo(1);
        assertThat(runner.rollbackToTag("v1")).isEmpty();
        runner.update();
        assertThatThrownBy(() -> runner.rollbackToTag("no-such-tag")).isInstanceOf(MigrationException.class)
                .hasMessageStartingWith("rollback --to-tag no-such-tag failed on primary (127.0.0.1:")
                .hasMessageEndingWith(": no applied change set has tag 'no-such-tag'");
    }

    @Test
    void brokenChangeSetIsRolledBackAndNamedWithSqlState() {
        MigrationRunner broken = runner.withChangeLog("db/test/broken-changelog.yaml");
        assertThatThrownBy(broken::update)
                .isInstanceOfSatisfying(MigrationException.class, e -> {
                    assertThat(e.changeSet()).map(ChangeSetRef::shortName).contains("002-broken::test");
                    assertThat(e.sqlState()).contains("42P01");
                })
                .hasMessageContaining("002-broken::test::db/test/broken-changelog.yaml")
                .hasMessageContaining("SQLSTATE 42P01");
        assertThat(sql("SELECT to_regclass('public.good_table') IS NOT NULL")).isEqualTo("t");
        assertThat(sql("SELECT to_regclass('public.broken_table') IS NULL")).isEqualTo("t");
        assertThat(sql("SELECT string_agg(id, ',') FROM databasechangelog")).isEqualTo("001-good");
        assertThat(sql("SELECT locked FROM databasechangeloglock")).isEqualTo("f");
    }

    @Test
    void validateDetectsModifiedChecksumAndDryRunChangesNothing() {
        StringWriter dryRun = new StringWriter();
        runner.updateSql(dryRun);
        assertThat(dryRun.toString()).contains("CREATE TABLE account").contains("CREATE TABLE transfer");
        assertThat(sql("SELECT to_regclass('public.account') IS NULL")).isEqualTo("t");

        runner.update();
        runner.validate();
        sql("UPDATE databasechangelog SET md5sum = '9:00000000000000000000000000000000' WHERE id = '002-create-transfer'");
        assertThatThrownBy(runner::validate).isInstanceOf(MigrationException.class).hasMessageContaining("002-create-transfer");

        SchemaCheck check = new SchemaCheck(false, true);
        assertThatThrownBy(() -> check.run(runner)).isInstanceOf(MigrationException.class);
    }

    @Test
    void schemaCheckListsPendingAndAutoMigrates() {
        assertThatThrownBy(() -> new SchemaCheck(false, true).run(runner))
                .isInstanceOf(MigrationException.class)
                .hasMessageContaining("5 pending")
                .hasMessageContaining("001-create-account::reactive-db")
                .hasMessageContaining("migrations update");
        new SchemaCheck(false, false).run(runner);
        new SchemaCheck(true, true).run(runner);
        assertThat(runner.status().upToDate()).isTrue();
    }

    @Test
    void concurrentUpdatesApplyEachChangeSetOnce() throws Exception {
        MigrationRunner second = MigrationRunner.create(settingsFor(cluster, database)).withLockWait(Duration.ofSeconds(20));
        MigrationRunner first = runner.withLockWait(Duration.ofSeconds(20));
        ConcurrentLinkedQueue<Object> results = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = List.of(first, second).stream().map(r -> new Thread(() -> {
            try {
                start.await();
                results.add(r.update());
            } catch (Throwable t) {
                results.add(t);
            }
        })).toList();
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(results).hasSize(2).allSatisfy(r -> assertThat(r).isInstanceOf(List.class));
        int total = results.stream().mapToInt(r -> ((List<?>) r).size()).sum();
        assertThat(total).isEqualTo(4);
        assertThat(sql("SELECT count(*) FROM databasechangelog")).isEqualTo("5");
        assertThat(sql("SELECT count(*) FROM (SELECT id FROM databasechangelog GROUP BY id, author, filename HAVING count(*) > 1) d")).isEqualTo("0");
    }

    @Test
    void aSuperuserMigrationCreatesPgStatStatementsAndAnExistingOneIsLeftAlone() {
        ReactiveDbSettings app = settingsFor(cluster, database);
        ReactiveDbSettings superuser = app.toBuilder()
                .primary(cluster.superuserEndpoint(cluster.primary()).toBuilder().database(database).build()).build();
        List<ChangeSetRef> applied = MigrationRunner.create(superuser).withLockWait(Duration.ofSeconds(5)).update();
        assertThat(applied).extracting(ChangeSetRef::id).containsExactlyElementsOf(ALL_IDS);
        assertThat(sql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")).isEqualTo("1");
        assertThat(sql("SELECT exectype FROM databasechangelog WHERE id = '" + EXTENSION_ID + "'")).isEqualTo("EXECUTED");

        // Where it exists already (created by someone else), the change set is only marked.
        String other = createDatabase(cluster);
        cluster.psql(cluster.primary(), other, "CREATE EXTENSION pg_stat_statements");
        assertThat(MigrationRunner.create(settingsFor(cluster, other)).withLockWait(Duration.ofSeconds(5)).update())
                .extracting(ChangeSetRef::id).containsExactlyElementsOf(DEMO_IDS);
        assertThat(cluster.psql(cluster.primary(), other, "SELECT exectype FROM databasechangelog WHERE id = '" + EXTENSION_ID + "'"))
                .isEqualTo("MARK_RAN");
    }

    @Test
    void staleLockIsReportedAndReleased() {
        runner.update(1);
        sql("UPDATE databasechangeloglock SET locked = TRUE, lockgranted = now(), lockedby = 'dead-host (10.0.0.9)' WHERE id = 1");
        MigrationRunner impatient = runner.withLockWait(Duration.ofMillis(300));
        assertThatThrownBy(impatient::update).isInstanceOf(MigrationException.class)
                .hasMessageContaining("stale lock held by dead-host (10.0.0.9) since")
                .hasMessageContaining("migrations release-locks");
        assertThat(runner.releaseLocks()).hasValueSatisfying(holder -> assertThat(holder).startsWith("dead-host"));
        assertThat(runner.releaseLocks()).isEmpty();
        assertThat(impatient.update()).hasSize(3);
    }

    @Test
    void runnerWaitsBoundedlyForAnotherRunsAdvisoryLock() throws Exception {
        try (Connection other = runner.target().connect(); Statement st = other.createStatement()) {
            st.execute("SELECT pg_advisory_lock(" + MigrationRunner.ADVISORY_LOCK_KEY + ")");
            assertThatThrownBy(() -> runner.withLockWait(Duration.ofMillis(300)).update())
                    .isInstanceOf(MigrationException.class)
                    .hasMessageContaining("another migration run holds advisory lock")
                    .hasMessageContaining("application 'reactive-db-migrations'");
        }
        assertThat(runner.update()).hasSize(4);
    }

    @Test
    void migrationsReachTheReplicas() {
        runner.update();
        var replica = cluster.replicas().get(0);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String exists = "f";
        while (System.nanoTime() < deadline) {
            try {
                exists = cluster.psql(replica, database, "SELECT to_regclass('public.account') IS NOT NULL");
            } catch (RuntimeException e) {
                exists = "f"; // the CREATE DATABASE itself may not have been replayed yet
            }
            if (exists.equals("t")) {
                break;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertThat(exists).as("account table on %s", replica).isEqualTo("t");
    }
}
