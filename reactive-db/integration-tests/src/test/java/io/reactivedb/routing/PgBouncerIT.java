package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.r2dbc.spi.ConnectionFactory;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.Pooler;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.devservices.DevPgBouncer;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.error.DbTimeoutException;
import io.reactivedb.health.HealthEvent;
import io.reactivedb.pool.PoolStatistics;
import io.reactivedb.r2dbc.RouterConnectionFactory;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The router behind Debian's PgBouncer (dev services start it from the system package in front of
 * every node of the shared cluster) in transaction and session mode. Skipped, saying so, where
 * PgBouncer is not installed.
 */
@DevClusterTest
class PgBouncerIT {

    private static final Logger log = LoggerFactory.getLogger(PgBouncerIT.class);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static DevPgBouncer transactionMode;
    private static DevPgBouncer sessionMode;

    private final DevCluster cluster;
    private ReactiveDbRouter router;

    PgBouncerIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    static void poolers(DevCluster cluster) {
        Assumptions.assumeTrue(DevPgBouncer.binary().isPresent(),
                "PgBouncer is not installed (bin/ensure-pgbouncer installs Debian's pgbouncer package): skipping the pooler tests");
        PoolerWorkload.schema(cluster);
        transactionMode = cluster.startPgBouncer(Pooler.PGBOUNCER_TRANSACTION);
        sessionMode = cluster.startPgBouncer(Pooler.PGBOUNCER_SESSION);
    }

    @AfterAll
    static void stopPoolers() {
        for (DevPgBouncer pooler : new DevPgBouncer[] {transactionMode, sessionMode}) {
            if (pooler != null) {
                pooler.close();
            }
        }
    }

    @AfterEach
    void closeRouter() {
        if (router != null) {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    /**
     * A router through {@code pooler}. In transaction mode its pool is twice PgBouncer's server pool,
     * so that clients share server sessions; in session mode a client holds its server session
     * while connected, so the pool must not be larger than PgBouncer's (the rest would wait at login).
     */
    private ReactiveDbRouter router(DevPgBouncer pooler, Function<SessionSettings.Builder, SessionSettings.Builder> session) {
        return router(pooler, session, Function.identity());
    }

    private ReactiveDbRouter router(DevPgBouncer pooler, Function<SessionSettings.Builder, SessionSettings.Builder> session,
                                    Function<RouterBuilder, RouterBuilder> customizer) {
        ReactiveDbSettings through = pooler.settings();
        int poolSize = pooler.mode() == Pooler.PGBOUNCER_TRANSACTION ? 2 * DevPgBouncer.SERVER_POOL_SIZE : DevPgBouncer.SERVER_POOL_SIZE;
        ReactiveDbSettings settings = through.toBuilder()
                .pool(PoolSettings.builder().maxSize(poolSize).minIdle(0).build())
                .session(session.apply(through.session().toBuilder().applicationName("pgbouncer-it")).build())
                .build();
        router = customizer.apply(ReactiveDbRouter.builder(settings)).build();
        return router;
    }

    @Test
    void tenThousandReadsWritesAndSerializableTransfersThroughATransactionPoolerAreAllCorrect() {
        ReactiveDbRouter router = router(transactionMode, Function.identity());
        assertThat(router.settings().session().statementCacheSize()).isZero();

        PoolerWorkload.Figures figures = PoolerWorkload.run(cluster, router, 10_000, 400, 200);
        log.info("after (DB_POOLER=pgbouncer-transaction) behind PgBouncer pool_mode=transaction: {}", figures);

        assertThat(figures.wrongReads).hasValue(0);
        assertThat(figures.reads).hasValue(10_000);
        assertThat(figures.errors).as("errors").isEmpty();
        assertThat(figures.writeRows).isEqualTo(400).isEqualTo(figures.writesOk.get());
        assertThat(figures.total).isEqualTo(PoolerWorkload.ACCOUNTS * PoolerWorkload.OPENING_BALANCE);
        assertThat(figures.transfersOk.get() + figures.serializationGiveUps.get()).isEqualTo(200);
    }

    /**
     * The "before" figures: today's defaults (named statements cached per connection, no
     * DB_POOLER) behind the same PgBouncer, told to ignore {@code extra_float_digits}. Not a test
     * of the library (it measures a misconfiguration); run it with {@code -Dpooler.before=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = "pooler.before", matches = "true")
    void beforeFiguresWithNamedStatementsBehindATransactionPooler() {
        ReactiveDbRouter router = router(transactionMode, session -> session.pooler(Pooler.NONE));
        PoolerWorkload.Figures figures = PoolerWorkload.run(cluster, router, 10_000, 400, 200);
        log.info("before (no DB_POOLER, statement cache {}) behind PgBouncer pool_mode=transaction: {}",
                router.settings().session().statementCacheSize(), figures);
        System.out.println("POOLER BEFORE: " + figures);
        figures.samples.forEach((kind, message) -> System.out.println("POOLER BEFORE sample " + kind + ": " + message));
    }

    @Test
    void aQueryTimeoutCancelsTheStatementOnTheServerThroughThePooler() {
        // Without retries: a timed-out read is retry-safe, and each retry would sleep again.
        ReactiveDbRouter router = router(transactionMode, Function.identity(), b -> b.without(RouterFeature.RETRY));
        String marker = "pgbouncer-cancel-" + UUID.randomUUID();
        String running = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%" + marker + "%'"
                + " AND pid <> pg_backend_pid()";
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Disposable sleeping = router.read(ReadConsistency.strong(), s -> s.query("SELECT pg_sleep(30) /* " + marker + " */", row -> 1))
                .contextWrite(DbOperation.timeout(Duration.ofSeconds(2)))
                .subscribe(row -> { }, failure::set);
        try {
            Await.until("the statement running on the primary", WAIT,
                    () -> cluster.psql(cluster.primary(), cluster.database(), running).equals("1"));
            Await.until("the query timeout", WAIT, () -> failure.get() != null);
            assertThat(failure.get()).isInstanceOf(DbTimeoutException.class);
            // pg_sleep(30) would hold its backend for 30 s: gone much sooner, the cancel request reached it.
            Await.until("the statement cancelled on the server", Duration.ofSeconds(10),
                    () -> cluster.psql(cluster.primary(), cluster.database(), running).equals("0"));
        } finally {
            sleeping.dispose();
        }
        assertThat(router.read(ReadConsistency.strong(), s -> s.query("SELECT 1", row -> row.get(0, Integer.class))).single().block(WAIT))
                .as("the pool works on").isEqualTo(1);
    }

    /**
     * Behind a pooler the cancel request's connection is closed by the pooler, which may do so as
     * soon as it has passed the request on, before the server has signalled the backend: a late
     * signal would cancel the next borrower's statement. So there a busy statement's cancel discards
     * its connection instead of keeping it (directly against PostgreSQL it is kept: AbortedStreamIT).
     * The pool's maximum idle time is minutes: a kept connection would stay allocated.
     */
    @Test
    void behindAPoolerACancelledBusyStatementsConnectionIsDiscarded() {
        ReactiveDbRouter router = router(sessionMode, Function.identity(), b -> b.without(RouterFeature.RETRY));
        String marker = "pgbouncer-discard-" + UUID.randomUUID();
        String running = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%" + marker + "%'"
                + " AND pid <> pg_backend_pid()";
        Endpoint primary = router.endpoint("primary").orElseThrow();
        Disposable sleeping = router.read(ReadConsistency.strong(), s -> s.query("SELECT pg_sleep(30) /* " + marker + " */", row -> 1))
                .subscribe();
        Await.until("the statement running on the primary", WAIT,
                () -> cluster.psql(cluster.primary(), cluster.database(), running).equals("1"));
        assertThat(primary.poolStatistics().allocated()).isEqualTo(1);
        sleeping.dispose();
        Await.until("the statement cancelled on the server", Duration.ofSeconds(10),
                () -> cluster.psql(cluster.primary(), cluster.database(), running).equals("0"));
        Await.until("the cancelled statement's connection discarded, not kept", Duration.ofSeconds(10), () -> {
            PoolStatistics pool = primary.poolStatistics();
            return pool.acquired() == 0 && pool.allocated() == 0;
        });
        assertThat(router.read(ReadConsistency.strong(), s -> s.query("SELECT 1", row -> row.get(0, Integer.class))).single().block(WAIT))
                .as("the pool works on").isEqualTo(1);
    }

    @Test
    void aLoginWithSessionTimeoutsAsStartupParametersIsRefusedNamingDbPooler() {
        ReactiveDbRouter router = router(transactionMode, session -> session.pooler(Pooler.NONE).statementTimeout(Duration.ofSeconds(5)),
                b -> b.without(RouterFeature.RETRY));
        assertThatThrownBy(() -> router.write(s -> s.execute("SELECT 1")).blockLast(WAIT))
                .isInstanceOfSatisfying(DbPoolerException.class, e -> {
                    assertThat(e.reason()).isEqualTo(DbPoolerException.Reason.STARTUP_PARAMETER_REFUSED);
                    assertThat(e.sqlState()).contains("08P01");
                })
                .hasMessageContaining("statement_timeout").hasMessageContaining("DB_POOLER=pgbouncer-session");
    }

    @Test
    void springsDatabaseClientAndSerializableTransactionsThroughATransactionPooler() {
        ReactiveDbRouter router = router(transactionMode, Function.identity());
        cluster.psql(cluster.primary(), cluster.database(), "TRUNCATE pooler_accounts;"
                + "INSERT INTO pooler_accounts SELECT i, 1000 FROM generate_series(1, 10) i");
        ConnectionFactory factory = RouterConnectionFactory.of(router);
        DatabaseClient client = DatabaseClient.create(factory);
        AtomicInteger wrong = new AtomicInteger();
        Flux.range(1, 2_000)
                .flatMap(id -> client.sql("SELECT id, payload FROM pooler_it WHERE id = :id").bind("id", id)
                        .map(row -> row.get("id", Integer.class) + " " + row.get("payload", String.class))
                        .all().collectList()
                        .doOnNext(rows -> {
                            if (!rows.equals(List.of(id + " p-" + id))) {
                                wrong.incrementAndGet();
                            }
                        }), 32)
                .then().block(WAIT);
        assertThat(wrong).hasValue(0);

        DefaultTransactionDefinition serializable = new DefaultTransactionDefinition();
        serializable.setIsolationLevel(TransactionDefinition.ISOLATION_SERIALIZABLE);
        TransactionalOperator transactions = TransactionalOperator.create(new R2dbcTransactionManager(factory), serializable);
        AtomicInteger conflicts = new AtomicInteger();
        Flux.range(0, 100)
                .flatMap(i -> transactions.transactional(client.sql("UPDATE pooler_accounts SET balance = balance - 1 WHERE id = :id")
                                .bind("id", 1 + i % 10).fetch().rowsUpdated()
                                .then(client.sql("UPDATE pooler_accounts SET balance = balance + 1 WHERE id = :id")
                                        .bind("id", 1 + (i + 1) % 10).fetch().rowsUpdated()))
                        .onErrorResume(error -> {
                            // Spring does not retry serialization failures; anything else fails the test.
                            if (error instanceof org.springframework.dao.PessimisticLockingFailureException
                                    || String.valueOf(error.getMessage()).contains("could not serialize")) {
                                conflicts.incrementAndGet();
                                return Mono.empty();
                            }
                            return Mono.error(error);
                        }), 8)
                .then().block(WAIT);
        assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT sum(balance) FROM pooler_accounts")).isEqualTo("10000");
        log.info("Spring through PgBouncer transaction mode: 2000 reads, 0 wrong; 100 SERIALIZABLE transfers, {} serialization failures",
                conflicts.get());
    }

    @Test
    void readYourWritesWorksThroughATransactionPooler() {
        ReactiveDbRouter router = router(transactionMode, Function.identity());
        ConsistencyTracker session = ConsistencyTracker.start(null);
        UUID id = UUID.randomUUID();
        router.write(s -> s.execute("INSERT INTO pooler_writes (id, n) VALUES ($1, $2)", id, -1)).contextWrite(session::into).blockLast(WAIT);
        assertThat(session.token()).as("the WAL position read after the write, through the pooler").isPresent();
        Integer n = router.read(ReadConsistency.readYourWrites(), s -> s.query("SELECT n FROM pooler_writes WHERE id = $1",
                        row -> row.get(0, Integer.class), id))
                .contextWrite(session::into).single().block(WAIT);
        assertThat(n).isEqualTo(-1);
    }

    @Test
    void statementsThatNeedASessionAreRefusedBehindATransactionPoolerAndLocalOnesWork() {
        ReactiveDbRouter router = router(transactionMode, Function.identity());
        for (String sql : List.of("SET statement_timeout = 0", "LISTEN pooler_it", "SELECT pg_advisory_lock(7)",
                "CREATE TEMP TABLE pooler_tmp (id int)")) {
            assertThatThrownBy(() -> router.write(s -> s.execute(sql)).blockLast(WAIT))
                    .as(sql)
                    .isInstanceOfSatisfying(DbPoolerException.class, e -> assertThat(e.reason()).isEqualTo(DbPoolerException.Reason.NEEDS_SESSION))
                    .hasMessageContaining("DB_POOLER=pgbouncer-transaction");
        }
        String local = router.inTransaction(s -> s.execute("SET LOCAL statement_timeout = 1500")
                        .thenMany(s.query("SHOW statement_timeout", row -> row.get(0, String.class))))
                .single().block(WAIT);
        assertThat(local).isEqualTo("1500ms");
        assertThat(router.write(s -> s.query("SHOW statement_timeout", row -> row.get(0, String.class))).single().block(WAIT))
                .as("nothing stayed behind on the server session").isEqualTo("0");
    }

    @Test
    void behindASessionPoolerTheSessionTimeoutsAreSetAfterConnecting() {
        ReactiveDbRouter router = router(sessionMode, session -> session.statementTimeout(Duration.ofMillis(1234))
                .lockTimeout(Duration.ofMillis(321)));
        assertThat(router.write(s -> s.query("SELECT current_setting('statement_timeout') || ' ' || current_setting('lock_timeout')",
                row -> row.get(0, String.class))).single().block(WAIT)).isEqualTo("1234ms 321ms");
        assertThat(router.settings().session().statementCacheSize()).isEqualTo(SessionSettings.DEFAULT_STATEMENT_CACHE_SIZE);
        PoolerWorkload.Figures figures = PoolerWorkload.run(cluster, router, 1_000, 50, 20);
        assertThat(figures.wrongReads).hasValue(0);
        assertThat(figures.errors).isEmpty();
    }

    @Test
    void namedStatementsBehindATransactionPoolerFailNamingDbPoolerAndPublishAHealthEvent() {
        ReactiveDbRouter router = router(transactionMode, session -> session.pooler(Pooler.NONE));
        // The statements below need a writer: on a loaded machine the first probe round may time out.
        Await.until("a probe round that found the writer", WAIT, () -> router.health().orElseThrow().current()
                .flatMap(snapshot -> snapshot.writer()).isPresent());
        List<HealthEvent> events = new CopyOnWriteArrayList<>();
        Disposable watching = router.health().orElseThrow().events().subscribe(events::add);
        try {
            // Two connections of the router one after the other: PgBouncer hands the server session
            // the first just used (LIFO) to the second, whose first statement is S_0 as well.
            assertThatThrownBy(() -> router.write(first -> first.query("SELECT $1::int", row -> 1, 1)
                            .then(router.write(second -> second.query("SELECT $1::int + 1", row -> 2, 1)).then()))
                    .blockLast(WAIT))
                    .isInstanceOfSatisfying(DbPoolerException.class, e -> {
                        assertThat(e.reason()).isEqualTo(DbPoolerException.Reason.STATEMENT_MISMATCH);
                        assertThat(e.sqlState()).contains("42P05");
                    })
                    .hasMessageContaining("DB_POOLER=pgbouncer-transaction");
            Await.until("a pooler-mismatch health event", WAIT,
                    () -> events.stream().anyMatch(event -> event instanceof HealthEvent.PoolerMismatch mismatch
                            && mismatch.endpoint().equals("primary") && mismatch.sqlState().equals("42P05")));
        } finally {
            watching.dispose();
        }
    }
}
