package io.reactivedb.routing;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Parameter;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.Wrapped;
import io.reactivedb.config.Pooler;
import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.DbOutcomeUnknownException;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.health.Lsn;
import io.reactivedb.internal.pool.LeakDetector;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A pooled connection lent to one unit of work, and the {@link DbSession} over it.
 *
 * <p>Release hygiene: whatever way the work ends, {@link #release()} hands the connection back
 * clean. A transaction left open (also one begun with a raw {@code BEGIN}, which r2dbc-pool does
 * not track, or with {@code setAutoCommit(false)}/savepoints) is rolled back, as the server reports
 * its transaction state on every reply. A session whose state was changed is discarded. Cleanup
 * that fails or takes longer than {@code cleanupTimeout} discards the connection. Work cancelled
 * mid-statement goes through {@link CancelRecovery}.
 */
final class Lease implements DbSession {

    private static final Logger log = LoggerFactory.getLogger(Lease.class);

    private final Endpoint endpoint;
    private final Connection connection;
    private final Scheduler scheduler;
    private final Duration cleanupTimeout;
    private final CancelRecovery cancelRecovery;
    private volatile boolean sessionChanged;
    /**
     * Statements sent, numbered from 1, and the highest number whose reply has fully arrived: replies
     * come in order, so every statement up to it is finished. A statement is counted at subscription
     * and settled on complete or error, never on cancel (the rest of its reply is still coming).
     */
    private final AtomicLong statementsSent = new AtomicLong();
    private final AtomicLong statementsSettled = new AtomicLong();
    private volatile long statementStartedNanos;
    private volatile String lastSql = "";
    /** The leak detector's watch over this connection, ended when a release starts. */
    private final LeakDetector.Watch leakWatch;
    /** Null when the router traces nothing. */
    private final @Nullable LeaseTracing tracing;

    Lease(Endpoint endpoint, Connection connection, Scheduler scheduler, Duration cleanupTimeout) {
        this(endpoint, connection, scheduler, cleanupTimeout, LeakDetector.Watch.NONE, null);
    }

    Lease(Endpoint endpoint, Connection connection, Scheduler scheduler, Duration cleanupTimeout, LeakDetector.Watch leakWatch,
          @Nullable LeaseTracing tracing) {
        this.leakWatch = leakWatch;
        this.tracing = tracing;
        this.endpoint = endpoint;
        this.connection = connection;
        this.scheduler = scheduler;
        this.cleanupTimeout = cleanupTimeout;
        this.cancelRecovery = new CancelRecovery(this, endpoint, connection, scheduler, cleanupTimeout);
    }

    @Override
    public String endpoint() {
        return endpoint.name();
    }

    @Override
    public <T> Flux<T> query(String sql, Function<? super Row, ? extends T> mapper, Object... params) {
        Objects.requireNonNull(mapper, "mapper");
        return Flux.defer(() -> {
            Statement statement = bound(sql, params);
            long sent = statementStarted();
            return Flux.from(statement.execute())
                    .concatMap(result -> Flux.<T>from(result.map((row, metadata) -> mapper.apply(row))))
                    .doOnTerminate(() -> finished(sent));
        });
    }

    @Override
    public Mono<Long> execute(String sql, Object... params) {
        return Flux.defer(() -> {
                    Statement statement = bound(sql, params);
                    long sent = statementStarted();
                    return Flux.from(statement.execute())
                            .concatMap(Result::getRowsUpdated)
                            .doOnTerminate(() -> finished(sent));
                })
                .reduce(0L, Long::sum);
    }

    @Override
    public Flux<Long> executeBatch(String sql, List<Object[]> parameterRows) {
        Objects.requireNonNull(parameterRows, "parameterRows");
        return Flux.defer(() -> {
            if (parameterRows.isEmpty()) {
                return Flux.empty();
            }
            Statement statement = statement(sql);
            for (int row = 0; row < parameterRows.size(); row++) {
                if (row > 0) {
                    statement.add();
                }
                bind(statement, parameterRows.get(row));
            }
            long sent = statementStarted();
            return Flux.from(statement.execute()).concatMap(Result::getRowsUpdated).doOnTerminate(() -> finished(sent));
        });
    }

    @Override
    public Mono<Long> copyIn(String table, List<String> columns, Publisher<Object[]> rows) {
        Objects.requireNonNull(rows, "rows");
        String sql = CopyText.statement(Objects.requireNonNull(table, "table"), List.copyOf(columns));
        return Mono.defer(() -> {
            lastSql = sql;
            long sent = statementStarted();
            return CopyText.copy(connection, sql, rows, columns.size()).doOnTerminate(() -> finished(sent));
        });
    }

    @Override
    public Statement statement(String sql) {
        Objects.requireNonNull(sql, "sql");
        noteSessionChange(sql);
        lastSql = sql;
        return tracing == null ? connection.createStatement(sql) : tracing.statement(connection, sql);
    }

    /** A batch on the connection, traced as one statement when the router traces. */
    Batch batch() {
        return tracing == null ? connection.createBatch() : tracing.batch(connection);
    }

    /**
     * A statement that changes session state makes the release discard the connection; behind a
     * transaction pooler one that needs a session of its own is refused before it is sent, since
     * the state would stay on a server session other clients get next.
     *
     * @throws DbPoolerException for such a statement behind a transaction pooler
     */
    void noteSessionChange(String sql) {
        if (!ConnectionStateGuard.changesSessionState(sql)) {
            return;
        }
        Pooler pooler = endpoint.pool().pooler();
        if (pooler.sharesSessions() && ConnectionStateGuard.needsSession(sql)) {
            throw new DbPoolerException("[" + endpoint.name() + "] refused before sending: the statement needs a server session of its"
                    + " own, which DB_POOLER=" + pooler.settingValue() + " does not give (the state would stay behind for other"
                    + " clients, or be gone at the next transaction). Session SET/RESET, LISTEN, PREPARE, LOAD, DISCARD, WITH HOLD"
                    + " cursors, temporary tables and session advisory locks are refused; use SET LOCAL or set_config(..., true)"
                    + " inside a transaction, pg_advisory_xact_lock, or a direct connection",
                    null, null, endpoint.name(), DbPoolerException.Reason.NEEDS_SESSION);
        }
        sessionChanged = true;
    }

    /**
     * Marks a statement as sent (at its subscription; also one run on the raw connection by a
     * {@link ConnectionLoan}'s user).
     *
     * @return its number, for {@link #finished(long)}
     */
    long statementStarted() {
        statementStartedNanos = System.nanoTime();
        return statementsSent.incrementAndGet();
    }

    /** The reply of statement {@code sent} has fully arrived (complete or error; a cancel leaves it in flight), so have all before it. */
    void finished(long sent) {
        statementsSettled.accumulateAndGet(sent, Math::max);
    }

    /** A round trip sent after every statement so far has come back: no reply is outstanding. */
    void finished() {
        finished(statementsSent.get());
    }

    /** Statements sent so far (the number of the last one). */
    long statementsSent() {
        return statementsSent.get();
    }

    /** When the last statement was sent, by {@link System#nanoTime()}. */
    long statementStartedNanos() {
        return statementStartedNanos;
    }

    /** Whether the release will discard the connection (its session state was changed). */
    boolean sessionChanged() {
        return sessionChanged;
    }

    /** Whether a statement was sent whose reply has not fully arrived: the connection is not in step. */
    boolean statementInFlight() {
        return statementsSettled.get() < statementsSent.get();
    }

    /** The SQL text of the last statement this session created (never its parameters); for slow-query logs. */
    String lastSql() {
        return lastSql;
    }

    private Statement bound(String sql, Object[] params) {
        return bind(statement(sql), params);
    }

    private static Statement bind(Statement statement, Object[] params) {
        for (int i = 0; i < params.length; i++) {
            Object value = params[i];
            if (value == null) {
                throw new IllegalArgumentException("parameter $" + (i + 1) + " is null; pass DbSession.nullOf(Type.class) for a typed NULL");
            }
            if (value instanceof Parameter parameter) {
                statement.bind(i, parameter);
            } else {
                statement.bind(i, value);
            }
        }
        return statement;
    }

    /** The pooled connection, for a {@link ConnectionLoan}'s user; released only through this lease. */
    Connection connectionForBorrower() {
        return connection;
    }

    /** Makes the release discard this connection instead of returning it. */
    void discardOnRelease() {
        sessionChanged = true;
    }

    /**
     * The primary's WAL insert position, read after a write's commit: a replica that has replayed
     * up to it shows the write. {@code pg_current_wal_insert_lsn()} rather than the flush position,
     * which may lag behind the commit record under {@code synchronous_commit = off}.
     */
    Mono<Lsn> walInsertPosition() {
        return Flux.from(connection.createStatement("SELECT pg_current_wal_insert_lsn()::text").execute())
                .concatMap(result -> result.map((row, metadata) -> String.valueOf(row.get(0, String.class))))
                .next()
                .map(Lsn::parse);
    }

    Mono<Void> begin(TransactionOptions options) {
        return Mono.from(connection.beginTransaction(options.definition()));
    }

    /** Commits; the COMMIT's round trip, sent after every statement of the transaction, settles them all. */
    Mono<Void> commit() {
        return Mono.defer(() -> {
            boolean sent = !connection.isAutoCommit(); // the driver sends COMMIT only in a transaction
            return Mono.from(connection.commitTransaction()).doOnSuccess(done -> {
                if (sent) {
                    finished();
                }
            });
        });
    }

    /**
     * Rolls back for a borrower that goes on using the connection: {@link #rollbackAfterCancel()}
     * when a statement's reply is still outstanding (the ROLLBACK would wait behind it), else a plain
     * rollback, whose round trip settles every statement before it.
     */
    Mono<Void> rollback() {
        return Mono.defer(() -> {
            if (statementInFlight()) {
                return rollbackAfterCancel();
            }
            boolean sent = !connection.isAutoCommit();
            return Mono.from(connection.rollbackTransaction()).doOnSuccess(done -> {
                if (sent) {
                    finished();
                }
            });
        });
    }

    /**
     * Work completed: give the connection back. A statement whose reply has not fully arrived (the
     * work stopped reading it: {@code next()}, {@code take(n)}, a cancel that has not reached the
     * reply yet) makes this {@link #releaseAfterCancel()}: a connection is never lent on mid-reply.
     */
    Mono<Void> release() {
        endTracing();
        return Mono.defer(() -> {
            leakWatch.returned();
            return statementInFlight() ? releaseAfterCancel() : releaseInStep();
        });
    }

    /** The connection is in step: roll back a transaction left open, discard a changed session, else give it back. */
    Mono<Void> releaseInStep() {
        return Mono.defer(() -> {
            if (sessionChanged) {
                log.debug("[{}] session state was changed; discarding the connection", endpoint.name());
                return discard();
            }
            if (!connection.isAutoCommit()) {
                // Also catches a transaction begun with a raw BEGIN, which r2dbc-pool does not track.
                return attempt(Mono.from(connection.rollbackTransaction()), "roll back a transaction left open")
                        .flatMap(clean -> clean ? giveBack() : discard());
            }
            return giveBack();
        });
    }

    /** Work was cancelled mid-flight: see {@link CancelRecovery#releaseAfterCancel()}. */
    Mono<Void> releaseAfterCancel() {
        endTracing();
        return Mono.defer(() -> {
            leakWatch.returned();
            return cancelRecovery.releaseAfterCancel();
        });
    }

    /** Rolls back after a cancel for a borrower that goes on: see {@link CancelRecovery#rollbackAfterCancel()}. Never fails. */
    Mono<Void> rollbackAfterCancel() {
        return cancelRecovery.rollbackAfterCancel();
    }

    /** Work failed: a broken connection, or one the server found out of step (a protocol violation), is discarded; anything else cleaned and returned. */
    Mono<Void> releaseAfterError(Throwable error) {
        leakWatch.returned();
        endTracing();
        if (ErrorTranslator.isConnectionFailure(error) || error instanceof DbConnectionException || error instanceof DbOutcomeUnknownException
                || ErrorTranslator.isProtocolViolation(error)) {
            return discard();
        }
        return release();
    }

    /** The connection is going back: a traced statement whose reply was never read to its end ends here. */
    private void endTracing() {
        if (tracing != null) {
            tracing.leaseEnded();
        }
    }

    /** Runs a cleanup step within the cleanup timeout; emits false when it failed or timed out. */
    Mono<Boolean> attempt(Mono<Void> cleanup, String what) {
        return cleanup
                .timeout(cleanupTimeout, scheduler)
                .thenReturn(Boolean.TRUE)
                .onErrorResume(error -> {
                    log.debug("[{}] could not {} ({}); discarding the connection", endpoint.name(), what, error.toString());
                    return Mono.just(Boolean.FALSE);
                });
    }

    /** The driver's connection under the pool's handle. */
    @SuppressWarnings("unchecked")
    private Connection unwrapped() {
        return connection instanceof Wrapped<?> wrapped ? ((Wrapped<Connection>) wrapped).unwrap() : connection;
    }

    private Mono<Void> giveBack() {
        return Mono.from(connection.close()).onErrorResume(error -> {
            log.warn("[{}] returning a connection to the pool failed: {}", endpoint.name(), error.toString());
            return Mono.empty();
        });
    }

    /**
     * Closes the physical connection, then releases the pooled handle: r2dbc-pool validates on
     * release, sees the closed socket and invalidates the slot instead of reusing it.
     */
    Mono<Void> discard() {
        return Mono.from(unwrapped().close())
                .onErrorResume(error -> {
                    log.debug("[{}] closing a discarded connection failed: {}", endpoint.name(), error.toString());
                    return Mono.empty();
                })
                .then(Mono.defer(this::giveBack));
    }
}
