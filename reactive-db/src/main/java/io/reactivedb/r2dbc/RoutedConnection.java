package io.reactivedb.r2dbc;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import io.reactivedb.config.Pooler;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.routing.BorrowedConnection;
import io.reactivedb.routing.ConsistencySession;
import io.reactivedb.routing.Endpoint;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.ContextView;

/**
 * A connection of {@link RouterConnectionFactory}: unbound until its first operation, then bound to
 * one borrowed connection of the router until {@link #close()}.
 *
 * <p>The borrow is subscribed by this connection itself, not by the operation that triggered it, so
 * a caller that cancels while the borrow is under way does not lose the connection: it arrives,
 * is held, and {@link #close()} releases it.
 */
final class RoutedConnection implements Connection {

    private static final Logger log = LoggerFactory.getLogger(RoutedConnection.class);

    private static final Sinks.One<BorrowedConnection> CLOSED = closedSink();

    private final ReactiveDbRouter router;
    private final ContextView context;
    private final AtomicReference<Sinks.@Nullable One<BorrowedConnection>> binding = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Session settings asked for before binding; applied right after it. */
    private final List<Function<Connection, Publisher<Void>>> pendingSettings = new ArrayList<>();
    private volatile @Nullable BorrowedConnection borrowed;
    private volatile @Nullable IsolationLevel pendingIsolation;
    private volatile boolean cancelled;
    /** A rollback after a cancel could not be done in time: the transaction ends when the connection is discarded on close. */
    private volatile boolean abandoned;
    private volatile boolean wrote;
    private volatile @Nullable Throwable connectionFailure;

    RoutedConnection(ReactiveDbRouter router, ContextView context) {
        this.router = router;
        this.context = context;
    }

    private static Sinks.One<BorrowedConnection> closedSink() {
        Sinks.One<BorrowedConnection> sink = Sinks.one();
        sink.tryEmitError(new IllegalStateException("the connection is closed"));
        return sink;
    }

    /** The borrowed connection: binds to {@code target} on first use; later calls get the same one. */
    Mono<BorrowedConnection> bind(Target target) {
        if (closed.get()) {
            return CLOSED.asMono();
        }
        Sinks.One<BorrowedConnection> sink = binding.get();
        if (sink == null) {
            Sinks.One<BorrowedConnection> candidate = Sinks.one();
            if (binding.compareAndSet(null, candidate)) {
                Mono<BorrowedConnection> borrow = target.isWrite()
                        ? router.borrowForWrite()
                        : router.borrowForRead(Objects.requireNonNull(target.read()));
                borrow.flatMap(this::applyPendingSettings)
                        .contextWrite(downstream -> downstream.putAll(context))
                        .subscribe(candidate::tryEmitValue, candidate::tryEmitError);
            }
            sink = Objects.requireNonNull(binding.get());
        }
        return sink.asMono();
    }

    private Mono<BorrowedConnection> applyPendingSettings(BorrowedConnection connection) {
        borrowed = connection;
        List<Function<Connection, Publisher<Void>>> settings;
        synchronized (pendingSettings) {
            settings = List.copyOf(pendingSettings);
            pendingSettings.clear();
        }
        if (settings.isEmpty()) {
            return Mono.just(connection);
        }
        connection.discardOnRelease();
        return Flux.fromIterable(settings)
                .concatMap(setting -> setting.apply(connection.connection()))
                .then(Mono.just(connection))
                // The caller never gets this connection: release it here, close() finds the error.
                .onErrorResume(error -> {
                    borrowed = null;
                    return connection.releaseAfterError(error).then(Mono.error(error));
                });
    }

    boolean isBound() {
        return binding.get() != null;
    }

    /** Runs a statement or batch on the bound connection, tracking its reply for the release. */
    Flux<Result> execute(Function<BorrowedConnection, Publisher<? extends Result>> execution) {
        return bind(Target.forStatement(context)).flatMapMany(connection -> {
            if (connection.isForWrites()) {
                wrote = true;
            }
            connection.statementStarted();
            return Flux.from(execution.apply(connection))
                    .<Result>map(result -> new TrackedResult(result, this, connection))
                    .doOnError(error -> failed(connection, error));
        }).doOnCancel(this::cancelled);
    }

    void cancelled() {
        cancelled = true;
    }

    /** A reply fully arrived: the connection is in step again. */
    void finished(BorrowedConnection connection) {
        connection.statementFinished();
        cancelled = false;
    }

    void failed(BorrowedConnection connection, Throwable error) {
        connection.statementFailed(error);
        if (ErrorTranslator.isConnectionFailure(error)) {
            connectionFailure = error;
        }
    }

    /** {@code operation} on the bound connection, binding to {@code target} first if needed. */
    private Mono<Void> on(Target target, Function<Connection, Publisher<Void>> operation) {
        return bind(target).flatMap(connection -> Mono.from(operation.apply(connection.connection()))
                .doOnError(error -> {
                    if (ErrorTranslator.isConnectionFailure(error)) {
                        connectionFailure = error;
                    }
                }));
    }

    /** {@code operation} when bound; nothing when not (there is nothing to act on yet). */
    private Mono<Void> ifBound(Function<Connection, Publisher<Void>> operation) {
        return Mono.defer(() -> isBound() ? on(Target.WRITER, operation) : Mono.empty());
    }

    @Override
    public Mono<Void> beginTransaction() {
        return Mono.defer(() -> begin(Target.forBegin(null, context), Connection::beginTransaction));
    }

    @Override
    public Mono<Void> beginTransaction(TransactionDefinition definition) {
        Objects.requireNonNull(definition, "definition");
        return Mono.defer(() -> begin(Target.forBegin(definition.getAttribute(TransactionDefinition.READ_ONLY), context),
                connection -> connection.beginTransaction(definition)));
    }

    /**
     * A begin cancelled before it completed closes this connection: the caller gave up the
     * transaction before it existed. Spring's transaction manager, cancelled there, never gets a
     * hold of the connection to close it (its clean-up runs on error, not on cancel), and the
     * borrowed connection would otherwise never go back to its pool.
     */
    private Mono<Void> begin(Target target, Function<Connection, Publisher<Void>> begin) {
        return on(target, begin).doOnCancel(() -> {
            log.debug("a transaction begin was cancelled; closing its connection");
            close().subscribe(done -> { }, error -> log.warn("closing a connection after a cancelled begin failed", error));
        });
    }

    @Override
    public Mono<Void> commitTransaction() {
        return ifBound(Connection::commitTransaction);
    }

    /**
     * After a statement was cancelled part way (a transaction manager rolling back because its
     * subscriber cancelled), the ROLLBACK would wait behind the running statement, which can take
     * as long as the statement timeout: the statement is stopped on the server first (see
     * {@link BorrowedConnection#rollbackAfterCancel()}).
     */
    @Override
    public Mono<Void> rollbackTransaction() {
        return Mono.defer(() -> {
            if (!cancelled) {
                return ifBound(Connection::rollbackTransaction);
            }
            return bind(Target.WRITER).flatMap(connection -> connection.rollbackAfterCancel().doOnSuccess(done -> {
                cancelled = false;
                abandoned = !connection.connection().isAutoCommit();
            }));
        });
    }

    @Override
    public Mono<Void> createSavepoint(String name) {
        Objects.requireNonNull(name, "name");
        // Opens a transaction when none is open, with nothing saying it is read-only: the writer.
        return Mono.defer(() -> on(Target.WRITER, connection -> connection.createSavepoint(name)));
    }

    @Override
    public Mono<Void> releaseSavepoint(String name) {
        Objects.requireNonNull(name, "name");
        return ifBound(connection -> connection.releaseSavepoint(name));
    }

    @Override
    public Mono<Void> rollbackTransactionToSavepoint(String name) {
        Objects.requireNonNull(name, "name");
        return ifBound(connection -> connection.rollbackTransactionToSavepoint(name));
    }

    @Override
    public Mono<Void> setAutoCommit(boolean autoCommit) {
        return Mono.defer(() -> {
            if (autoCommit && (!isBound() || abandoned)) {
                // Abandoned: turning auto-commit on would send a COMMIT that waits behind the
                // stuck statement; closing discards the connection, which ends the transaction.
                return Mono.empty();
            }
            // Auto-commit off opens a transaction with nothing saying it is read-only: the writer.
            return on(Target.WRITER, connection -> connection.setAutoCommit(autoCommit));
        });
    }

    @Override
    public boolean isAutoCommit() {
        BorrowedConnection connection = borrowed;
        return connection == null || connection.connection().isAutoCommit();
    }

    @Override
    public Batch createBatch() {
        return new RoutedBatch(this);
    }

    @Override
    public Statement createStatement(String sql) {
        Objects.requireNonNull(sql, "sql");
        return new RoutedStatement(this, sql);
    }

    @Override
    public ConnectionMetadata getMetadata() {
        BorrowedConnection connection = borrowed;
        if (connection != null) {
            return connection.connection().getMetadata();
        }
        String version = router.writer().flatMap(Endpoint::health).flatMap(EndpointHealth::serverVersion).orElse("unknown");
        return new ConnectionMetadata() {
            @Override
            public String getDatabaseProductName() {
                return "PostgreSQL";
            }

            @Override
            public String getDatabaseVersion() {
                return version;
            }
        };
    }

    /** Before binding: the level asked for with {@link #setTransactionIsolationLevel}, else PostgreSQL's default. */
    @Override
    public IsolationLevel getTransactionIsolationLevel() {
        BorrowedConnection connection = borrowed;
        if (connection != null) {
            return connection.connection().getTransactionIsolationLevel();
        }
        IsolationLevel pending = pendingIsolation;
        return pending != null ? pending : IsolationLevel.READ_COMMITTED;
    }

    @Override
    public Mono<Void> setTransactionIsolationLevel(IsolationLevel isolationLevel) {
        Objects.requireNonNull(isolationLevel, "isolationLevel");
        return sessionSetting(connection -> connection.setTransactionIsolationLevel(isolationLevel),
                () -> pendingIsolation = isolationLevel);
    }

    @Override
    public Mono<Void> setLockWaitTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return sessionSetting(connection -> connection.setLockWaitTimeout(timeout), () -> { });
    }

    @Override
    public Mono<Void> setStatementTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return sessionSetting(connection -> connection.setStatementTimeout(timeout), () -> { });
    }

    /**
     * A setting that outlives the transaction in the server session: applied now when bound, else
     * kept until binding (so that it does not decide the endpoint); either way the connection is
     * discarded on release instead of being lent on with the setting.
     */
    private Mono<Void> sessionSetting(Function<Connection, Publisher<Void>> setting, Runnable whilePending) {
        return Mono.defer(() -> {
            Pooler pooler = router.settings().session().pooler();
            if (pooler.sharesSessions()) {
                // The driver applies these with a session SET, which would stay on a server
                // session that other clients get next.
                return Mono.error(new DbPoolerException("a session setting (isolation level, statement or lock timeout) cannot be"
                        + " kept with DB_POOLER=" + pooler.settingValue() + ": give the isolation level with the transaction"
                        + " (beginTransaction(definition)) and set timeouts on the role (ALTER ROLE ... SET)",
                        null, null, null, DbPoolerException.Reason.NEEDS_SESSION));
            }
            if (!isBound()) {
                synchronized (pendingSettings) {
                    pendingSettings.add(setting);
                }
                whilePending.run();
                return Mono.empty();
            }
            return bind(Target.WRITER).flatMap(connection -> {
                connection.discardOnRelease();
                return Mono.from(setting.apply(connection.connection()));
            });
        });
    }

    @Override
    public Mono<Boolean> validate(ValidationDepth depth) {
        Objects.requireNonNull(depth, "depth");
        return Mono.defer(() -> {
            if (closed.get()) {
                return Mono.just(false);
            }
            BorrowedConnection connection = borrowed;
            return connection == null ? Mono.just(true) : Mono.from(connection.connection().validate(depth));
        });
    }

    /**
     * Releases the borrowed connection, exactly once, waiting for a borrow still under way; a
     * connection never bound releases nothing. Later calls complete at once.
     */
    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            if (!closed.compareAndSet(false, true)) {
                return Mono.empty();
            }
            if (binding.compareAndSet(null, CLOSED)) {
                return Mono.empty();
            }
            return Objects.requireNonNull(binding.get()).asMono()
                    .onErrorResume(borrowFailed -> Mono.empty())
                    .flatMap(this::release);
        });
    }

    private Mono<Void> release(BorrowedConnection connection) {
        if (cancelled) {
            return connection.releaseAfterCancel();
        }
        Throwable failure = connectionFailure;
        if (failure != null) {
            return connection.releaseAfterError(failure);
        }
        Optional<ConsistencySession> session = ConsistencySession.from(context);
        Mono<Void> recorded = connection.isForWrites() && wrote && session.isPresent() && connection.connection().isAutoCommit()
                ? connection.recordWritePosition(session.get())
                : Mono.empty();
        return recorded.then(connection.release());
    }

    @Override
    public String toString() {
        BorrowedConnection connection = borrowed;
        return "RoutedConnection[" + (connection == null ? (closed.get() ? "closed" : "unbound") : connection.toString()) + "]";
    }
}
