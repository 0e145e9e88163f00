package io.reactivedb.diagnostics;

import io.reactivedb.routing.RouterFeature;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Each diagnostic against the shared dev cluster, for a situation the test creates. Statistics
 * counters reach the views asynchronously (when the backend that counted reports them), so figures
 * from {@code pg_stat_*} are polled with a bounded wait.
 */
@DevClusterTest
class DiagnosticsIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int SEQ_ROWS = 2000;
    private static final int SEQ_SCANS = 12;

    private static ReactiveDbRouter router;
    private static ReactiveDbRouter monitor;
    private static Diagnostics diagnostics;

    private final DevCluster cluster;

    DiagnosticsIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    static void setUp(DevCluster cluster) {
        String app = cluster.appUser();
        cluster.psql(cluster.primary(), cluster.database(), String.join("\n",
                "CREATE TABLE diag_seq (id int NOT NULL, note text NOT NULL);",
                "INSERT INTO diag_seq SELECT g, 'note ' || g FROM generate_series(1, " + SEQ_ROWS + ") g;",
                "CREATE INDEX diag_seq_note_unused ON diag_seq (note);",
                "CREATE TABLE diag_pk (id int PRIMARY KEY);",
                "CREATE TABLE diag_bloat (id int NOT NULL) WITH (autovacuum_enabled = false);",
                "INSERT INTO diag_bloat SELECT g FROM generate_series(1, 1000) g;",
                "CREATE TABLE diag_lock (id int PRIMARY KEY, v int NOT NULL);",
                "INSERT INTO diag_lock VALUES (1, 0);",
                "CREATE TABLE diag_top_marker (id int);",
                "CREATE TABLE diag_repl (id int);",
                "ANALYZE diag_seq; ANALYZE diag_bloat;",
                "GRANT ALL ON diag_seq, diag_pk, diag_bloat, diag_lock, diag_top_marker, diag_repl TO " + app + ";"));
        router = ReactiveDbRouter.builder(cluster.settings()).without(RouterFeature.HEALTH_MONITORING).build();
        // Diagnostics read other sessions' statements and the WAL receiver's state: they run as the
        // monitoring role (pg_monitor), the workload as the application role.
        monitor = ReactiveDbRouter.builder(cluster.monitoringSettings()).without(RouterFeature.HEALTH_MONITORING).build();
        diagnostics = Diagnostics.of(monitor, DiagnosticsSettings.builder().limit(1000).seqScanMinRows(1000).build(),
                PoolAdviceSettings.builder().serverCores(2).build(), Schedulers.parallel());
    }

    @AfterAll
    static void tearDown() {
        if (router != null) {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
        if (monitor != null) {
            monitor.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    @Test
    void aTableScannedSequentiallyIsAMissingIndexCandidateAndANeverScannedIndexIsUnused() {
        StringBuilder scans = new StringBuilder();
        for (int i = 0; i < SEQ_SCANS; i++) {
            scans.append("SELECT count(*) FROM diag_seq WHERE id = ").append(i + 1).append(";\n");
        }
        cluster.psql(cluster.primary(), cluster.database(), scans.toString());

        IndexAdvice advice = poll("diag_seq as a missing-index candidate", () -> diagnostics.indexAdvice("primary"),
                a -> candidate(a).filter(c -> c.seqScans() >= SEQ_SCANS && c.liveRows() == SEQ_ROWS).isPresent());
        IndexAdvice.MissingIndexCandidate candidate = candidate(advice).orElseThrow();
        assertThat(candidate.schema()).isEqualTo("public");
        assertThat(candidate.indexScans()).isZero();
        assertThat(candidate.seqScanShare()).isEqualTo(1.0);
        assertThat(candidate.seqRowsRead()).isGreaterThanOrEqualTo((long) SEQ_SCANS * SEQ_ROWS);
        assertThat(candidate.rowsPerSeqScan()).isGreaterThanOrEqualTo(SEQ_ROWS);
        // A small table is not a candidate, however it is scanned.
        assertThat(advice.missingIndexCandidates()).noneMatch(c -> c.table().equals("diag_lock"));

        assertThat(advice.unusedIndexes()).anySatisfy(index -> {
            assertThat(index.index()).isEqualTo("diag_seq_note_unused");
            assertThat(index.table()).isEqualTo("diag_seq");
            assertThat(index.sizeBytes()).isPositive();
            assertThat(index.definition()).startsWith("CREATE INDEX diag_seq_note_unused ON public.diag_seq");
        });
        // A primary key enforces uniqueness even when never scanned.
        assertThat(advice.unusedIndexes()).noneMatch(index -> index.index().equals("diag_pk_pkey"));
        assertThat(advice.largestIndexes()).anySatisfy(index -> {
            assertThat(index.index()).isEqualTo("diag_seq_note_unused");
            assertThat(index.scans()).isZero();
        });
    }

    private static Optional<IndexAdvice.MissingIndexCandidate> candidate(IndexAdvice advice) {
        return advice.missingIndexCandidates().stream().filter(c -> c.table().equals("diag_seq")).findFirst();
    }

    @Test
    void deletedRowsRaiseTheDeadTupleCount() {
        cluster.psql(cluster.primary(), cluster.database(), "DELETE FROM diag_bloat WHERE id <= 400");

        TableBloat bloat = poll("400 dead tuples in diag_bloat", () -> diagnostics.tableBloat("primary"),
                b -> table(b).filter(t -> t.deadTuples() == 400).isPresent());
        TableBloat.Table table = table(bloat).orElseThrow();
        assertThat(table.liveTuples()).isEqualTo(600);
        assertThat(table.deadRatio()).contains(0.4);
        assertThat(table.lastAnalyze()).isPresent();
        assertThat(table.lastAutovacuum()).isEmpty();
        assertThat(table.lastVacuum()).isEmpty();
        // Most dead tuples first.
        assertThat(bloat.tables().get(0).deadTuples()).isGreaterThanOrEqualTo(400);
    }

    private static Optional<TableBloat.Table> table(TableBloat bloat) {
        return bloat.tables().stream().filter(t -> t.table().equals("diag_bloat")).findFirst();
    }

    @Test
    void aTransactionHoldingALockWhileAnotherWaitsShowsAsABlockingChain() {
        Sinks.Empty<Void> release = Sinks.empty();
        AtomicReference<Integer> holderPid = new AtomicReference<>();
        Disposable holder = router.inTransaction(s -> s.query("SELECT pg_backend_pid()", row -> row.get(0, Integer.class))
                        .doOnNext(holderPid::set)
                        .then(s.execute("UPDATE diag_lock SET v = v + 1 WHERE id = 1"))
                        .then(release.asMono()))
                .subscribe();
        Disposable waiter = null;
        try {
            Await.until("the holder's update", WAIT, () -> holderPid.get() != null && lockedBy(holderPid.get()));
            waiter = router.write(s -> s.execute("UPDATE diag_lock SET v = v + 10 WHERE id = 1")).subscribe();

            // The counts by mode and the waits are two reads of pg_locks, one after the other (it is not
            // transactional): poll until the first of them, too, saw the waiter's request.
            Locks locks = poll("a session waiting for the holder", () -> diagnostics.locks("primary"),
                    l -> l.waits().stream().anyMatch(w -> w.blocking().pid() == holderPid.get())
                            && l.byMode().stream().anyMatch(count -> !count.granted() && count.lockType().equals("transactionid")));
            Locks.LockWait wait = locks.waits().stream().filter(w -> w.blocking().pid() == holderPid.get()).findFirst().orElseThrow();
            assertThat(wait.waiting().pid()).isNotEqualTo(holderPid.get());
            assertThat(wait.waiting().query()).contains("UPDATE diag_lock SET v = v + 10 WHERE id = 1");
            assertThat(wait.waiting().user()).contains(cluster.appUser());
            assertThat(wait.blocking().query()).contains("UPDATE diag_lock SET v = v + 1 WHERE id = 1");
            assertThat(wait.blocking().state()).contains("idle in transaction");
            assertThat(wait.blocking().transactionAge()).isPresent();
            // A row lock: the waiter waits for the holder's transaction id.
            assertThat(wait.lockType()).isEqualTo("transactionid");
            assertThat(wait.mode()).isEqualTo("ShareLock");
            assertThat(wait.waited()).isGreaterThanOrEqualTo(Duration.ZERO);
            assertThat(locks.rootBlockers()).extracting(Locks.Session::pid).contains(holderPid.get());
            assertThat(locks.byMode()).anySatisfy(count -> {
                assertThat(count.lockType()).isEqualTo("transactionid");
                assertThat(count.mode()).isEqualTo("ShareLock");
                assertThat(count.granted()).isFalse();
                assertThat(count.count()).isPositive();
            });
            assertThat(locks.byMode()).anyMatch(count -> count.mode().equals("RowExclusiveLock") && count.granted());
        } finally {
            release.tryEmitEmpty();
            Disposable started = waiter;
            Await.until("both transactions to finish", WAIT, () -> holder.isDisposed() || started == null || started.isDisposed());
        }
        assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT v FROM diag_lock WHERE id = 1")).isEqualTo("11");
        assertThat(diagnostics.locks("primary").block(WAIT).waits()).noneMatch(w -> w.blocking().pid() == holderPid.get());
    }

    private boolean lockedBy(int pid) {
        return cluster.psql(cluster.primary(), cluster.database(),
                "SELECT count(*) FROM pg_locks WHERE pid = " + pid + " AND locktype = 'transactionid' AND granted").equals("1");
    }

    @Test
    void aPausedReplicaShowsReplayLagOnItselfAndOnThePrimary() {
        DevNode replica = cluster.replicas().get(0);
        cluster.pauseReplay(replica);
        try {
            cluster.psql(cluster.primary(), cluster.database(), "INSERT INTO diag_repl SELECT g FROM generate_series(1, 1000) g");
            ReplicationStatus.Replica lagging = (ReplicationStatus.Replica) poll("replay lag on replica-1",
                    () -> diagnostics.replication("replica-1"),
                    status -> status instanceof ReplicationStatus.Replica r && r.replayPaused() && r.replayLagBytes().orElse(0L) > 0);
            assertThat(lagging.endpoint()).isEqualTo("replica-1");
            assertThat(lagging.receiveLsn()).isPresent();
            assertThat(lagging.replayLsn()).isPresent();
            assertThat(lagging.replayLagBytes()).contains(lagging.receiveLsn().get().bytesAfter(lagging.replayLsn().get()));
            assertThat(lagging.receiverStatus()).contains("streaming");

            ReplicationStatus.Primary primary = (ReplicationStatus.Primary) poll("replica-1's replay lag on the primary",
                    () -> diagnostics.replication("primary"),
                    status -> status instanceof ReplicationStatus.Primary p && standby(p, replica.name())
                            .filter(s -> s.replayLagBytes().orElse(0L) > 0 && s.flushLagBytes().orElseThrow() < s.replayLagBytes().get()).isPresent());
            ReplicationStatus.Standby standby = standby(primary, replica.name()).orElseThrow();
            assertThat(standby.state()).contains("streaming");
            assertThat(standby.syncState()).contains("async");
            assertThat(standby.replayLsn().get()).isLessThan(standby.sentLsn().get());
            assertThat(primary.slots()).anySatisfy(slot -> {
                assertThat(slot.name()).isEqualTo("replica_1");
                assertThat(slot.type()).isEqualTo("physical");
                assertThat(slot.active()).isTrue();
                assertThat(slot.retainedBytes()).isPresent();
            });
        } finally {
            cluster.resumeReplay(replica);
        }
        ReplicationStatus.Replica caughtUp = (ReplicationStatus.Replica) poll("replica-1 to catch up", () -> diagnostics.replication("replica-1"),
                status -> status instanceof ReplicationStatus.Replica r && !r.replayPaused() && r.replayLagBytes().equals(Optional.of(0L)));
        assertThat(caughtUp.replayDelay()).contains(Duration.ZERO);
    }

    /** The application role has no pg_monitor: the server hides its standbys' state and positions, and they read as unknown. */
    @Test
    void withoutPgMonitorTheStandbysStateAndLagAreUnknownNotZero() {
        Diagnostics asApp = Diagnostics.of(router);
        ReplicationStatus.Primary primary = (ReplicationStatus.Primary) asApp.replication("primary").block(WAIT);
        assertThat(primary.standbys()).hasSize(cluster.replicas().size()).allSatisfy(standby -> {
            assertThat(standby.state()).isEmpty();
            assertThat(standby.syncState()).isEmpty();
            assertThat(standby.replayLsn()).isEmpty();
            assertThat(standby.sentLagBytes()).isEmpty();
            assertThat(standby.replayLagBytes()).isEmpty();
        });
        ReplicationStatus.Primary monitored = (ReplicationStatus.Primary) diagnostics.replication("primary").block(WAIT);
        assertThat(monitored.standbys()).allSatisfy(standby -> {
            assertThat(standby.state()).isPresent();
            assertThat(standby.replayLagBytes()).isPresent();
        });
    }

    private static Optional<ReplicationStatus.Standby> standby(ReplicationStatus.Primary primary, String name) {
        return primary.standbys().stream().filter(s -> s.name().equals(name)).findFirst();
    }

    @Test
    void topStatementsIncludeAStatementTheTestRan() {
        for (int i = 0; i < 5; i++) {
            int id = i;
            router.write(s -> s.query("SELECT count(*) FROM diag_top_marker WHERE id = $1", row -> row.get(0, Long.class), id)).blockLast(WAIT);
        }
        TopStatements top = diagnostics.topStatements("primary", StatementOrder.CALLS).block(WAIT);
        assertThat(top.availability()).isEqualTo(TopStatements.Availability.AVAILABLE);
        assertThat(top.detail()).isEmpty();
        assertThat(top.statements()).anySatisfy(statement -> {
            assertThat(statement.query()).isEqualTo("SELECT count(*) FROM diag_top_marker WHERE id = $1");
            assertThat(statement.calls()).isEqualTo(5);
            assertThat(statement.rows()).isEqualTo(5);
            assertThat(statement.user()).isEqualTo(cluster.appUser());
            assertThat(statement.totalTime()).isPositive();
            assertThat(statement.maxTime()).isGreaterThanOrEqualTo(statement.meanTime());
            assertThat(statement.queryId()).isPresent();
        });
        assertThat(top.statements()).extracting(StatementStatistics::calls).isSortedAccordingTo((a, b) -> Long.compare(b, a));
    }

    @Test
    void topStatementsSayNotInstalledInADatabaseWithoutTheExtension() {
        if (cluster.psql(cluster.primary(), "postgres", "SELECT count(*) FROM pg_database WHERE datname = 'diag_noext'").equals("0")) {
            cluster.psql(cluster.primary(), "postgres", "CREATE DATABASE diag_noext OWNER " + cluster.appUser());
        }
        ReactiveDbSettings settings = ReactiveDbSettings.builder()
                .primary(cluster.settings().primary().toBuilder().database("diag_noext").build()).build();
        ReactiveDbRouter plain = ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING).build();
        try {
            StepVerifier.create(Diagnostics.of(plain).topStatements("primary"))
                    .assertNext(top -> {
                        assertThat(top.availability()).isEqualTo(TopStatements.Availability.NOT_INSTALLED);
                        assertThat(top.statements()).isEmpty();
                        assertThat(top.detail()).contains("CREATE EXTENSION pg_stat_statements");
                    })
                    .verifyComplete();
        } finally {
            plain.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    @Test
    void topStatementsSayNotLoadedWhenTheServerDoesNotPreloadTheLibrary() {
        // A private server: the dev cluster creates the extension, but this one does not preload it.
        try (DevCluster unloaded = DevCluster.start(DevClusterOptions.builder().replicas(0)
                .postgresqlConf("shared_preload_libraries", "").build())) {
            ReactiveDbRouter plain = ReactiveDbRouter.builder(unloaded.settings()).without(RouterFeature.HEALTH_MONITORING).build();
            try {
                StepVerifier.create(Diagnostics.of(plain).topStatements("primary"))
                        .assertNext(top -> {
                            assertThat(top.availability()).isEqualTo(TopStatements.Availability.NOT_LOADED);
                            assertThat(top.statements()).isEmpty();
                            assertThat(top.detail()).contains("shared_preload_libraries");
                        })
                        .verifyComplete();
            } finally {
                plain.shutdown(Duration.ofSeconds(5)).block(WAIT);
            }
        }
    }

    @Test
    void cacheHitRatiosPerDatabaseAndTableAgainstTheTarget() {
        cluster.psql(cluster.primary(), cluster.database(), "SELECT count(*) FROM diag_seq");
        CacheHitRatios ratios = poll("buffer hits of diag_seq", () -> diagnostics.cacheHitRatios("primary"),
                r -> r.tables().stream().anyMatch(t -> t.table().equals("diag_seq") && t.heap().hits() > 0));
        assertThat(ratios.target()).isEqualTo(0.99);
        assertThat(ratios.databases()).extracting(CacheHitRatios.DatabaseRatio::database).contains(cluster.database(), "postgres");
        CacheHitRatios.Ratio app = ratios.databases().stream().filter(d -> d.database().equals(cluster.database())).findFirst()
                .orElseThrow().blocks();
        assertThat(app.hits()).isPositive();
        assertThat(app.ratio()).hasValueSatisfying(r -> assertThat(r).isBetween(0.0, 1.0));
        assertThat(app.meetsTarget()).isEqualTo(app.ratio().get() >= 0.99);
        CacheHitRatios.TableRatio seq = ratios.tables().stream().filter(t -> t.table().equals("diag_seq")).findFirst().orElseThrow();
        assertThat(seq.total().hits()).isEqualTo(seq.heap().hits() + seq.indexes().hits());
        assertThat(seq.total().reads()).isEqualTo(seq.heap().reads() + seq.indexes().reads());
        assertThat(seq.heap().meetsTarget()).isEqualTo(seq.heap().ratio().map(r -> r >= 0.99).orElse(true));
    }

    @Test
    void sizesOfTheDatabaseAndItsLargestTables() {
        Sizes sizes = diagnostics.sizes("primary").block(WAIT);
        assertThat(sizes.database()).isEqualTo(cluster.database());
        Sizes.TableSize seq = sizes.largestTables().stream().filter(t -> t.table().equals("diag_seq")).findFirst().orElseThrow();
        assertThat(seq.tableBytes()).isPositive();
        assertThat(seq.indexBytes()).isPositive();
        assertThat(seq.totalBytes()).isEqualTo(seq.tableBytes() + seq.indexBytes());
        assertThat(seq.estimatedRows()).isEqualTo(SEQ_ROWS);
        assertThat(sizes.databaseBytes()).isGreaterThan(seq.totalBytes());
        assertThat(sizes.largestTables()).extracting(Sizes.TableSize::totalBytes).isSortedAccordingTo((a, b) -> Long.compare(b, a));
    }

    @Test
    void aDiagnosticGivesUpAtOnceInsteadOfQueueingBehindAnExclusiveLock() {
        Sinks.Empty<Void> release = Sinks.empty();
        AtomicReference<Boolean> locked = new AtomicReference<>(false);
        Disposable holder = router.inTransaction(s -> s.execute("LOCK TABLE diag_pk IN ACCESS EXCLUSIVE MODE")
                .doOnNext(n -> locked.set(true)).then(release.asMono())).subscribe();
        try {
            Await.until("the exclusive lock", WAIT, locked::get);
            StepVerifier.create(diagnostics.sizes("primary"))
                    .expectErrorSatisfies(error -> {
                        assertThat(error).isInstanceOf(DbQueryException.class);
                        assertThat(((DbQueryException) error).sqlState()).contains("55P03");
                    })
                    .verify(WAIT);
        } finally {
            release.tryEmitEmpty();
            Await.until("the holder to commit", WAIT, holder::isDisposed);
        }
    }

    @Test
    void eachDiagnosticRunsOnTheEndpointItNames() {
        assertThat(diagnostics.endpoints()).containsExactly("primary", "replica-1", "replica-2");
        assertThat(diagnostics.replication("primary").block(WAIT)).isInstanceOf(ReplicationStatus.Primary.class);
        assertThat(diagnostics.replication("replica-2").block(WAIT)).isInstanceOf(ReplicationStatus.Replica.class)
                .extracting(ReplicationStatus::endpoint).isEqualTo("replica-2");
        StepVerifier.create(diagnostics.tableBloat("no-such-endpoint"))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("no-such-endpoint").hasMessageContaining("replica-1"))
                .verify(WAIT);
    }

    @Test
    void poolAdviceReadsEachServersConnectionLimit() {
        monitor.read(s -> s.query("SELECT 1", row -> row.get(0))).blockLast(WAIT);
        List<PoolAdvice> advice = diagnostics.poolAdvice(Duration.ofMillis(300)).block(WAIT);
        assertThat(advice).extracting(PoolAdvice::endpoint).containsExactly("primary", "replica-1", "replica-2");
        for (PoolAdvice endpoint : advice) {
            PoolSizing sizing = endpoint.sizing().orElseThrow();
            assertThat(sizing.maxConnections()).isEqualTo(300);
            assertThat(sizing.reserved()).isEqualTo(3);
            assertThat(sizing.budgetPerInstance()).isEqualTo(297);
            assertThat(sizing.ruleOfThumb()).isEqualTo(5);
            assertThat(sizing.coresAssumed()).isFalse();
            assertThat(endpoint.observation().samples()).isEqualTo(4);
            assertThat(endpoint.observation().maxSize()).isEqualTo(10);
        }
    }

    /** Runs {@code diagnostic} until its result satisfies {@code condition}, within {@link #WAIT}. */
    private static <T> T poll(String what, Supplier<Mono<T>> diagnostic, Predicate<T> condition) {
        AtomicReference<T> last = new AtomicReference<>();
        try {
            Await.until(what, WAIT, () -> {
                T result = diagnostic.get().block(WAIT);
                last.set(result);
                return condition.test(result);
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last result: " + last.get(), e);
        }
        return last.get();
    }
}
