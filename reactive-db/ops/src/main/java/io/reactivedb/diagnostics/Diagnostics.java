package io.reactivedb.diagnostics;

import static io.reactivedb.diagnostics.Rows.instant;
import static io.reactivedb.diagnostics.Rows.integer;
import static io.reactivedb.diagnostics.Rows.number;
import static io.reactivedb.diagnostics.Rows.seconds;
import static io.reactivedb.diagnostics.Rows.text;

import io.reactivedb.error.DbQueryException;
import io.reactivedb.routing.DbOperation;
import io.reactivedb.routing.DbSession;
import io.reactivedb.routing.Endpoint;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.TransactionOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Database diagnostics over a router's pools: one method per diagnostic, each a cold {@code Mono}
 * of typed records, run on the endpoint it is asked about (by name: {@code primary},
 * {@code replica-1}, …; see {@link #endpoints()}).
 *
 * <p>Each diagnostic is one read-only transaction on that endpoint, begun with
 * {@code SET LOCAL statement_timeout} and {@code SET LOCAL lock_timeout} (defaults 2 s and 100 ms,
 * {@link DiagnosticsSettings}) and bounded on the client as well, by the router's per-operation
 * timeout set to the statement timeout plus the connect timeout (a connection may have to be opened
 * first). The statistics views take no locks; the size functions take {@code AccessShareLock}, which
 * conflicts only with exclusive locks (DDL, {@code VACUUM FULL}), so with the lock timeout a
 * diagnostic gives up instead of queueing behind such a statement (and the application queueing
 * behind it). Size functions run only on the few relations listed, picked by catalog estimates.
 *
 * <p>Failures arrive as the router's exceptions ({@link io.reactivedb.error.ReactiveDbException});
 * an unknown endpoint name is an {@link IllegalArgumentException}. Units of work are named
 * {@value #OPERATION} for metrics and the slow-query log.
 *
 * <pre>{@code
 * Diagnostics diagnostics = Diagnostics.of(router);
 * diagnostics.topStatements("primary").subscribe(top -> ...);
 * diagnostics.replication("replica-1").subscribe(status -> ...);
 * }</pre>
 *
 * <p>Requires PostgreSQL 13 or later; the role needs {@code pg_monitor} (or
 * {@code pg_read_all_stats}) to see other roles' statements and replication positions.
 */
public final class Diagnostics {

    /** The operation name of diagnostic units of work: {@value}. */
    public static final String OPERATION = "diagnostics";
    private static final TransactionOptions READ_ONLY = TransactionOptions.readOnlyDefaults();
    /** {@code object_not_in_prerequisite_state}: pg_stat_statements read without being preloaded. */
    private static final String NOT_PRELOADED = "55000";

    private final ReactiveDbRouter router;
    private final DiagnosticsSettings settings;
    private final PoolAdviceSettings poolAdvice;
    private final Scheduler scheduler;
    private final String prelude;
    private final Duration clientTimeout;

    private Diagnostics(ReactiveDbRouter router, DiagnosticsSettings settings, PoolAdviceSettings poolAdvice, Scheduler scheduler) {
        this.router = Objects.requireNonNull(router, "router");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.poolAdvice = Objects.requireNonNull(poolAdvice, "poolAdvice");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        // SET takes no bind parameters; both values are whole milliseconds from validated settings.
        this.prelude = "SET LOCAL statement_timeout = " + settings.statementTimeout().toMillis()
                + "; SET LOCAL lock_timeout = " + settings.lockTimeout().toMillis();
        // The server stops a statement first; the client bound covers opening a connection and a lost server.
        this.clientTimeout = settings.statementTimeout().plus(router.settings().session().connectTimeout());
    }

    /** Diagnostics with {@link DiagnosticsSettings#defaults()} and {@link PoolAdviceSettings#defaults()}, sampling on {@link Schedulers#parallel()}. */
    public static Diagnostics of(ReactiveDbRouter router) {
        return of(router, DiagnosticsSettings.defaults(), PoolAdviceSettings.defaults(), Schedulers.parallel());
    }

    /** @param scheduler where pool samples are taken ({@link #poolAdvice(Duration)}) */
    public static Diagnostics of(ReactiveDbRouter router, DiagnosticsSettings settings, PoolAdviceSettings poolAdvice, Scheduler scheduler) {
        return new Diagnostics(router, settings, poolAdvice, scheduler);
    }

    /** The endpoint names the methods accept: the primary first, then the replicas. */
    public List<String> endpoints() {
        return router.endpoints().stream().map(Endpoint::name).toList();
    }

    public DiagnosticsSettings settings() {
        return settings;
    }

    /** {@link #topStatements(String, StatementOrder)} by {@link StatementOrder#TOTAL_TIME}. */
    public Mono<TopStatements> topStatements(String endpoint) {
        return topStatements(endpoint, StatementOrder.TOTAL_TIME);
    }

    /**
     * The {@link DiagnosticsSettings#limit()} top statements of the endpoint's database from
     * {@code pg_stat_statements}. Without the extension in the database the result says
     * {@code NOT_INSTALLED}; with it but without the library preloaded, {@code NOT_LOADED}: both are
     * results, not errors.
     */
    public Mono<TopStatements> topStatements(String endpoint, StatementOrder order) {
        Objects.requireNonNull(order, "order");
        Mono<TopStatements> top = run(endpoint, session -> session.query(
                        "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                                + " WHERE e.extname = 'pg_stat_statements'", row -> text(row, 0))
                .next()
                .flatMap(schema -> session.query(
                                // The schema comes quoted by the server's quote_ident, the column from the enum.
                                "SELECT s.queryid, s.query, coalesce(r.rolname, s.userid::text), s.calls, s.total_exec_time,"
                                        + " s.mean_exec_time, s.max_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read"
                                        + " FROM " + schema + ".pg_stat_statements s LEFT JOIN pg_roles r ON r.oid = s.userid"
                                        + " WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                                        + " ORDER BY s." + order.column() + " DESC LIMIT $1",
                                Rows::statement, settings.limit())
                        .collectList()
                        .map(statements -> new TopStatements(endpoint, TopStatements.Availability.AVAILABLE, "", statements)))
                .defaultIfEmpty(TopStatements.notInstalled(endpoint)));
        return top.onErrorResume(DbQueryException.class, error -> NOT_PRELOADED.equals(error.sqlState().orElse(null))
                ? Mono.just(TopStatements.notLoaded(endpoint)) : Mono.error(error));
    }

    /**
     * Missing-index candidates (at least {@link DiagnosticsSettings#seqScanMinRows()} live rows,
     * {@link DiagnosticsSettings#seqScanMinScans()} sequential scans and a sequential share of
     * {@link DiagnosticsSettings#seqScanMinShare()}), indexes never scanned, and the largest indexes.
     */
    public Mono<IndexAdvice> indexAdvice(String endpoint) {
        return run(endpoint, session -> statisticsSince(session).flatMap(since -> session.query(
                        "SELECT schemaname, relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_live_tup"
                                + " FROM pg_stat_user_tables"
                                + " WHERE n_live_tup >= $1 AND seq_scan >= $2"
                                + " AND seq_scan::float8 / nullif(seq_scan + coalesce(idx_scan, 0), 0) >= $3"
                                + " ORDER BY seq_tup_read DESC, schemaname, relname LIMIT $4",
                        row -> {
                            long scans = number(row, 2);
                            long rowsRead = number(row, 3);
                            long indexScans = number(row, 4);
                            return new IndexAdvice.MissingIndexCandidate(text(row, 0), text(row, 1), scans, rowsRead, indexScans,
                                    number(row, 5), (double) scans / (scans + indexScans), rowsRead / scans);
                        },
                        settings.seqScanMinRows(), settings.seqScanMinScans(), settings.seqScanMinShare(), settings.limit())
                .collectList()
                .flatMap(candidates -> session.query(
                                // Exact sizes (AccessShareLock) only for the listed indexes, picked by page estimate.
                                "SELECT u.schemaname, u.relname, u.indexrelname, pg_relation_size(u.indexrelid), pg_get_indexdef(u.indexrelid)"
                                        + " FROM (SELECT s.* FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid"
                                        + " JOIN pg_class c ON c.oid = s.indexrelid"
                                        + " WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary"
                                        + " ORDER BY c.relpages DESC, s.schemaname, s.indexrelname LIMIT $1) u"
                                        + " ORDER BY 4 DESC, 1, 3",
                                row -> new IndexAdvice.UnusedIndex(text(row, 0), text(row, 1), text(row, 2), number(row, 3), text(row, 4)),
                                settings.limit())
                        .collectList()
                        .flatMap(unused -> session.query(
                                        "SELECT u.schemaname, u.relname, u.indexrelname, pg_relation_size(u.indexrelid), u.idx_scan, u.idx_tup_read"
                                                + " FROM (SELECT s.* FROM pg_stat_user_indexes s JOIN pg_class c ON c.oid = s.indexrelid"
                                                + " ORDER BY c.relpages DESC, s.schemaname, s.indexrelname LIMIT $1) u"
                                                + " ORDER BY 4 DESC, 1, 3",
                                        row -> new IndexAdvice.IndexSize(text(row, 0), text(row, 1), text(row, 2), number(row, 3),
                                                number(row, 4), number(row, 5)),
                                        settings.limit())
                                .collectList()
                                .map(largest -> new IndexAdvice(endpoint, since, candidates, unused, largest))))));
    }

    private static Mono<Optional<Instant>> statisticsSince(DbSession session) {
        return session.query("SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()",
                        row -> instant(row, 0))
                .next()
                .defaultIfEmpty(Optional.empty());
    }

    /** Dead and live tuples and the last (auto)vacuum and (auto)analyze of the tables with the most dead tuples. */
    public Mono<TableBloat> tableBloat(String endpoint) {
        return run(endpoint, session -> session.query(
                        "SELECT schemaname, relname, n_live_tup, n_dead_tup, n_mod_since_analyze,"
                                + " last_vacuum, last_autovacuum, last_analyze, last_autoanalyze"
                                + " FROM pg_stat_user_tables ORDER BY n_dead_tup DESC, schemaname, relname LIMIT $1",
                        row -> {
                            long live = number(row, 2);
                            long dead = number(row, 3);
                            return new TableBloat.Table(text(row, 0), text(row, 1), live, dead,
                                    live + dead == 0 ? Optional.empty() : Optional.of((double) dead / (live + dead)),
                                    number(row, 4), instant(row, 5), instant(row, 6), instant(row, 7), instant(row, 8));
                        }, settings.limit())
                .collectList()
                .map(tables -> new TableBloat(endpoint, tables)));
    }

    /** Locks by mode, and every waiting session with each session blocking it ({@code pg_blocking_pids}). */
    public Mono<Locks> locks(String endpoint) {
        return run(endpoint, session -> session.query(
                        "SELECT locktype, mode, granted, count(*) FROM pg_locks WHERE pid IS DISTINCT FROM pg_backend_pid()"
                                + " GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2",
                        row -> new Locks.LockCount(text(row, 0), text(row, 1), Boolean.TRUE.equals(row.get(2, Boolean.class)),
                                number(row, 3)))
                .collectList()
                .flatMap(modes -> session.query(
                                // pg_blocking_pids briefly locks the lock manager: called only for sessions waiting on a lock.
                                "SELECT w.pid, w.usename, w.application_name, w.state, w.query,"
                                        + " extract(epoch FROM clock_timestamp() - w.xact_start)::float8,"
                                        + " b.pid, b.usename, b.application_name, b.state, b.query,"
                                        + " extract(epoch FROM clock_timestamp() - b.xact_start)::float8,"
                                        + " extract(epoch FROM clock_timestamp() - w.query_start)::float8,"
                                        + " l.locktype, l.mode, l.relation::regclass::text"
                                        + " FROM pg_stat_activity w"
                                        + " CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid)"
                                        + " LEFT JOIN pg_stat_activity b ON b.pid = blocker.pid"
                                        + " LEFT JOIN LATERAL (SELECT locktype, mode, relation FROM pg_locks"
                                        + " WHERE pid = w.pid AND NOT granted LIMIT 1) l ON true"
                                        + " WHERE w.wait_event_type = 'Lock' AND w.pid <> pg_backend_pid()"
                                        + " ORDER BY 13 DESC NULLS LAST, w.pid, blocker.pid",
                                row -> new Locks.LockWait(
                                        Rows.session(row, 0),
                                        Rows.session(row, 6),
                                        seconds(row, 12).orElse(Duration.ZERO),
                                        Optional.ofNullable(row.get(13, String.class)).orElse("unknown"),
                                        Optional.ofNullable(row.get(14, String.class)).orElse("unknown"),
                                        Optional.ofNullable(row.get(15, String.class))))
                        .collectList()
                        .map(waits -> new Locks(endpoint, modes, waits))));
    }

    /** Cache hit ratios of every database on the server and of the endpoint database's tables, against {@link DiagnosticsSettings#cacheHitTarget()}. */
    public Mono<CacheHitRatios> cacheHitRatios(String endpoint) {
        double target = settings.cacheHitTarget();
        return run(endpoint, session -> session.query(
                        "SELECT datname, blks_hit, blks_read FROM pg_stat_database WHERE datname IS NOT NULL ORDER BY datname",
                        row -> new CacheHitRatios.DatabaseRatio(text(row, 0), CacheHitRatios.Ratio.of(number(row, 1), number(row, 2), target)))
                .collectList()
                .flatMap(databases -> session.query(
                                "SELECT schemaname, relname, coalesce(heap_blks_hit, 0), coalesce(heap_blks_read, 0),"
                                        + " coalesce(idx_blks_hit, 0), coalesce(idx_blks_read, 0) FROM pg_statio_user_tables"
                                        + " ORDER BY coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) DESC, schemaname, relname LIMIT $1",
                                row -> {
                                    long heapHit = number(row, 2);
                                    long heapRead = number(row, 3);
                                    long indexHit = number(row, 4);
                                    long indexRead = number(row, 5);
                                    return new CacheHitRatios.TableRatio(text(row, 0), text(row, 1),
                                            CacheHitRatios.Ratio.of(heapHit, heapRead, target),
                                            CacheHitRatios.Ratio.of(indexHit, indexRead, target),
                                            CacheHitRatios.Ratio.of(heapHit + indexHit, heapRead + indexRead, target));
                                }, settings.limit())
                        .collectList()
                        .map(tables -> new CacheHitRatios(endpoint, target, databases, tables))));
    }

    /** The database's size and its largest tables with their index sizes. */
    public Mono<Sizes> sizes(String endpoint) {
        return run(endpoint, session -> session.query("SELECT current_database(), pg_database_size(current_database())",
                        row -> new DatabaseSize(text(row, 0), number(row, 1)))
                .single()
                .flatMap(database -> session.query(
                                // Candidates by the catalog's page counts (table, TOAST, indexes; no locks),
                                // then exact sizes for those only.
                                "SELECT t.nspname, t.relname, pg_table_size(t.oid), pg_indexes_size(t.oid), pg_total_relation_size(t.oid),"
                                        + " t.reltuples::bigint"
                                        + " FROM (SELECT c.oid, n.nspname, c.relname, c.reltuples FROM pg_class c"
                                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                        + " WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                                        + " AND n.nspname NOT LIKE 'pg\\_toast%'"
                                        + " ORDER BY c.relpages + coalesce((SELECT toast.relpages FROM pg_class toast WHERE toast.oid = c.reltoastrelid), 0)"
                                        + " + coalesce((SELECT sum(ic.relpages) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
                                        + " WHERE i.indrelid = c.oid), 0) DESC, n.nspname, c.relname LIMIT $1) t"
                                        + " ORDER BY 5 DESC, 1, 2",
                                row -> new Sizes.TableSize(text(row, 0), text(row, 1), number(row, 2), number(row, 3), number(row, 4),
                                        number(row, 5)),
                                settings.limit())
                        .collectList()
                        .map(tables -> new Sizes(endpoint, database.name(), database.bytes(), tables))));
    }

    private record DatabaseSize(String name, long bytes) {
    }

    /**
     * On a primary: its WAL position, each connected standby's sent/write/flush/replay positions and
     * lags, and the replication slots. On a replica: what it received and replayed, the replay lag in
     * bytes and time, and whether replay is paused.
     */
    public Mono<ReplicationStatus> replication(String endpoint) {
        return run(endpoint, session -> session.query("SELECT pg_is_in_recovery()", row -> Boolean.TRUE.equals(row.get(0, Boolean.class)))
                .single()
                .flatMap(inRecovery -> inRecovery ? ReplicationQueries.replica(endpoint, session)
                        : ReplicationQueries.primary(endpoint, session)));
    }

    /**
     * Pool tuning advice for every endpoint: samples the pool statistics every
     * {@link PoolAdviceSettings#sampleInterval()} for {@code window} on the scheduler, reads each
     * server's {@code max_connections}, and hands both to {@link PoolAdvisor}. An endpoint whose
     * server cannot be asked gets its advice without the connection budget.
     *
     * @throws IllegalArgumentException when {@code window} is shorter than the sample interval
     */
    public Mono<List<PoolAdvice>> poolAdvice(Duration window) {
        Objects.requireNonNull(window, "window");
        if (window.compareTo(poolAdvice.sampleInterval()) < 0) {
            throw new IllegalArgumentException("window must be at least the sample interval (" + poolAdvice.sampleInterval()
                    + ") but was " + window);
        }
        long samples = window.toNanos() / poolAdvice.sampleInterval().toNanos() + 1;
        return reactor.core.publisher.Flux.fromIterable(router.endpoints())
                .flatMapSequential(endpoint -> observe(endpoint, window, samples).zipWith(capacity(endpoint.name()),
                        (observation, capacity) -> PoolAdvisor.advise(observation, router.settings().pool(), capacity.orElse(null),
                                poolAdvice, router.isHealthMonitored() ? 1 : 0)))
                .collectList();
    }

    private Mono<PoolObservation> observe(Endpoint endpoint, Duration window, long samples) {
        return Mono.defer(() -> {
            io.reactivedb.pool.AcquireWaits waitsBefore = endpoint.acquireWaits();
            long timeoutsBefore = endpoint.poolStatistics().acquireTimeouts();
            return reactor.core.publisher.Flux.interval(Duration.ZERO, poolAdvice.sampleInterval(), scheduler)
                    .take(samples)
                    .map(tick -> endpoint.poolStatistics())
                    .collectList()
                    .map(stats -> PoolObservation.of(endpoint.name(), window, stats, endpoint.acquireWaits().since(waitsBefore),
                            endpoint.poolStatistics().acquireTimeouts() - timeoutsBefore));
        });
    }

    /** The server's connection limit; empty (logged) when the server cannot be asked. */
    private Mono<Optional<ServerCapacity>> capacity(String endpoint) {
        return run(endpoint, session -> session.query(
                        "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,"
                                + " coalesce(current_setting('reserved_connections', true), '0')::int",
                        row -> new ServerCapacity(integer(row, 0), integer(row, 1) + integer(row, 2)))
                .single())
                .map(Optional::of)
                .onErrorResume(io.reactivedb.error.ReactiveDbException.class, error -> {
                    org.slf4j.LoggerFactory.getLogger(Diagnostics.class)
                            .warn("[{}] pool advice without the connection budget: {}", endpoint, error.getMessage());
                    return Mono.just(Optional.empty());
                });
    }

    /** One read-only transaction on {@code endpoint}, timeouts set first. */
    private <T> Mono<T> run(String endpoint, Function<DbSession, Mono<T>> work) {
        Objects.requireNonNull(endpoint, "endpoint");
        return Mono.defer(() -> router.inTransactionOn(endpoint, READ_ONLY, session -> session.execute(prelude).then(work.apply(session)))
                        .single())
                .contextWrite(DbOperation.timeout(clientTimeout))
                .contextWrite(DbOperation.named(OPERATION));
    }
}
