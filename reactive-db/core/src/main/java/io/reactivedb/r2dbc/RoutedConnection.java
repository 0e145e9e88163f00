package io.reactivedb.r2dbc;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.routing.ConnectionLoan;
import io.reactivedb.routing.ConsistencyTracker;
import io.reactivedb.routing.Endpoint;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * A connection of {@link RouterConnectionFactory}: unbound until its first operation, then bound to
 * one borrowed connection of the router until {@link #close()}.
 *
 * <p>The borrow is subscribed by this connection's {@link Binding}, not by the operation that
 * triggered it, so a caller that cancels while the borrow is under way does not lose the
 * connection: it arrives, is held, and {@link #close()} releases it.
 *
 * <p>A transaction begun while unbound borrows nothing: the begin only records where the
 * transaction binds and its BEGIN, which is sent at binding (by the first statement, savepoint or
 * other operation), before anything else. Spring's transaction manager begins inside the resource
 * of {@code TransactionalOperator}'s {@code usingWhen}; a cancel landing after the begin and before
 * that resource reaches {@code usingWhen} drops the transaction with no rollback and no
 * {@code close()}, so a connection borrowed by the begin was never given back. Deferred to the
 * first statement, the borrow happens inside the transaction's work, whose cancel Spring does
 * follow with a rollback and a close.
 */
final class RoutedConnection implements Connection {

    private static final Logger log = LoggerFactory.getLogger(RoutedConnection.class);

    private final ReactiveDbRouter router;
    private final ContextView context;
    private final Binding binding;
    private volatile @Nullable IsolationLevel pendingIsolation;
    /** A rollback after a cancel could not be done in time: the transaction ends when the connection is discarded on close. */
    private volatile boolean abandoned;
    private volatile boolean wrote;
    private volatile @Nullable Throwable connectionFailure;

    RoutedConnection(ReactiveDbRouter router, ContextView context) {
        this.router = router;
        this.context = context;
        this.binding = new Binding(router, context, this::failed);
    }

    /** The borrowed connection, binding on first use (see {@link Binding#bind}). */
    Mono<ConnectionLoan> bind(Target target) {
        return binding.bind(target);
    }

    boolean isBound() {
        return binding.isBound();
    }

    /**
     * Runs a statement or batch on the bound connection (binding on subscription), tracking its reply
     * for the release: the statement is in flight on the borrowed connection until every result it
     * emitted has been read to its end or the server reported an error (see {@link Reply}).
     */
    Flux<Result> execute(Function<ConnectionLoan, Publisher<? extends Result>> execution) {
        // Deferred: a statement's execute() is cold, and binding borrows a connection.
        return Mono.defer(() -> bind(Target.forStatement(context))).flatMapMany(connection -> {
            if (connection.isForWrites()) {
                wrote = true;
            }
            Publisher<? extends Result> results = execution.apply(connection);
            Reply reply = new Reply(this, connection, connection.statementStarted());
            return Flux.from(results)
                    .map(reply::track)
                    .doOnComplete(reply::allEmitted)
                    .doOnCancel(reply::emissionCancelled)
                    .doOnError(reply::failed);
        });
    }

    /**
     * A statement's execution or one of its results failed. An {@link R2dbcException} is the
     * server's answer (or a lost connection): the reply has arrived. Any other error (the caller's
     * mapping function, a value no codec reads) stopped the reading part way, and the rest of the
     * reply is still coming: the statement stays in flight for the release.
     */
    void failed(ConnectionLoan connection, long statement, Throwable error) {
        if (error instanceof R2dbcException) {
            connection.statementFailed(statement, error);
        }
        if (ErrorTranslator.isConnectionFailure(error)) {
            connectionFailure = error;
        }
    }

    /**
     * {@code operation} on the bound connection, binding to {@code target} first if needed. It counts
     * as a statement in flight until it completes or the server answers with an error: a BEGIN
     * cancelled on its way (the caller gave up the transaction while it was being opened) must not
     * let the connection go back before the BEGIN's reply, or the pool would hold a connection that
     * the server puts in a transaction a moment later (seen in a repeat run: a session of the cancel
     * test left idle in transaction). Left in flight, the release resynchronises and rolls back first.
     */
    private Mono<Void> on(Target target, Function<Connection, Publisher<Void>> operation) {
        return bind(target).flatMap(connection -> Mono.defer(() -> {
            long statement = connection.statementStarted();
            return Mono.from(operation.apply(connection.connection()))
                    .doOnSuccess(done -> connection.statementFinished(statement))
                    .doOnError(error -> failed(connection, statement, error));
        }));
    }

    /** {@code operation} when bound; nothing when not (there is nothing to act on yet). */
    private Mono<Void> ifBound(Function<Connection, Publisher<Void>> operation) {
        return Mono.defer(() -> isBound() ? on(Target.WRITER, operation) : Mono.empty());
    }

    @Override
    public Mono<Void> beginTransaction() {
        return Mono.defer(() -> begin(Target.forBegin(null, context), Connection::beginTransaction, null));
    }

    @Override
    public Mono<Void> beginTransaction(TransactionDefinition definition) {
        Arguments.require(definition, "definition");
        return Mono.defer(() -> begin(Target.forBegin(definition.getAttribute(TransactionDefinition.READ_ONLY), context),
                connection -> connection.beginTransaction(definition), definition.getAttribute(TransactionDefinition.ISOLATION_LEVEL)));
    }

    /**
     * Unbound (as Spring's transaction manager always begins): borrows nothing and completes at
     * once; the transaction binds where {@code target} says and its BEGIN is sent at binding (see
     * the class description). A second begin before binding changes nothing, as the driver skips a
     * BEGIN inside a transaction.
     *
     * <p>Bound: the BEGIN is sent now. A begin cancelled before it completed closes this connection:
     * the caller gave up the transaction before it existed, and a transaction manager cancelled
     * there never gets a hold of the connection to close it.
     */
    private Mono<Void> begin(Target target, Function<Connection, Publisher<Void>> begin, @Nullable IsolationLevel isolation) {
        if (binding.beginUnbound(target, begin, isolation)) {
            return Mono.empty();
        }
        return on(target, begin).doOnCancel(() -> {
            log.debug("a transaction begin was cancelled; closing its connection");
            close().subscribe(done -> { }, error -> log.warn("closing a connection after a cancelled begin failed", error));
        });
    }

    /**
     * Behind a statement still in flight the COMMIT waits for it (see {@link ConnectionLoan#commit()}).
     * Unbound: a transaction begun without a statement ends here, never having reached a server.
     */
    @Override
    public Mono<Void> commitTransaction() {
        return Mono.defer(() -> binding.endUnsentTransaction() ? Mono.empty() : bind(Target.WRITER).flatMap(connection -> failures(connection.commit())));
    }

    /**
     * After a statement was left part way (a transaction manager rolling back because its
     * subscriber cancelled), the ROLLBACK would wait behind the running statement, which can take
     * as long as the statement timeout: the statement is stopped on the server first (see
     * {@link ConnectionLoan#rollback()}). Decided from whether the statement's reply is still
     * outstanding, not from a cancel signal, which may reach the reply only after this call.
     * Unbound, or bound in vain (the borrow or the BEGIN failed, and the binding gave its connection
     * back): nothing is open anywhere, nothing to roll back.
     */
    @Override
    public Mono<Void> rollbackTransaction() {
        return Mono.defer(() -> binding.endUnsentTransaction() || binding.failed()
                ? Mono.empty()
                : bind(Target.WRITER).flatMap(connection -> failures(connection.rollback())
                        .doOnSuccess(done -> abandoned = !connection.connection().isAutoCommit())));
    }

    /** Records a lost connection for the release. */
    private Mono<Void> failures(Mono<Void> operation) {
        return operation.doOnError(error -> {
            if (ErrorTranslator.isConnectionFailure(error)) {
                connectionFailure = error;
            }
        });
    }

    @Override
    public Mono<Void> createSavepoint(String name) {
        Arguments.require(name, "name");
        // Opens a transaction when none is open, with nothing saying it is read-only: the writer.
        return Mono.defer(() -> on(Target.WRITER, connection -> connection.createSavepoint(name)));
    }

    @Override
    public Mono<Void> releaseSavepoint(String name) {
        Arguments.require(name, "name");
        return ifBound(connection -> connection.releaseSavepoint(name));
    }

    @Override
    public Mono<Void> rollbackTransactionToSavepoint(String name) {
        Arguments.require(name, "name");
        return ifBound(connection -> connection.rollbackTransactionToSavepoint(name));
    }

    @Override
    public Mono<Void> setAutoCommit(boolean autoCommit) {
        return Mono.defer(() -> {
            if (autoCommit && (binding.endUnsentTransaction() || abandoned)) {
                // Unbound: nothing to commit, a transaction begun but not sent ends.
                // Abandoned: turning auto-commit on would send a COMMIT that waits behind the
                // stuck statement; closing discards the connection, which ends the transaction.
                return Mono.empty();
            }
            // Auto-commit off opens a transaction with nothing saying it is read-only: the writer.
            return on(Target.WRITER, connection -> connection.setAutoCommit(autoCommit));
        });
    }

    /** Off from a begin on: also while the transaction is not yet sent (unbound, or its BEGIN under way). */
    @Override
    public boolean isAutoCommit() {
        if (binding.beginPending()) {
            return false;
        }
        ConnectionLoan connection = binding.borrowed();
        return connection == null || connection.connection().isAutoCommit();
    }

    /** @throws IllegalStateException when the connection is closed */
    @Override
    public Batch createBatch() {
        requireOpen();
        return new RoutedBatch(this);
    }

    /**
     * @throws IllegalArgumentException when {@code sql} is null or its parameters cannot be read
     * @throws IllegalStateException    when the connection is closed
     */
    @Override
    public Statement createStatement(String sql) {
        Arguments.require(sql, "sql");
        requireOpen();
        return new RoutedStatement(this, sql);
    }

    private void requireOpen() {
        if (binding.isClosed()) {
            throw new IllegalStateException("the connection is closed");
        }
    }

    @Override
    public ConnectionMetadata getMetadata() {
        ConnectionLoan connection = binding.borrowed();
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

    /**
     * Before binding: the level of a transaction begun but not yet sent, else the level asked for
     * with {@link #setTransactionIsolationLevel}, else PostgreSQL's default.
     */
    @Override
    public IsolationLevel getTransactionIsolationLevel() {
        ConnectionLoan connection = binding.borrowed();
        if (connection != null) {
            return connection.connection().getTransactionIsolationLevel();
        }
        IsolationLevel begun = binding.pendingBeginIsolation();
        if (begun != null) {
            return begun;
        }
        IsolationLevel pending = pendingIsolation;
        return pending != null ? pending : IsolationLevel.READ_COMMITTED;
    }

    @Override
    public Mono<Void> setTransactionIsolationLevel(IsolationLevel isolationLevel) {
        Arguments.require(isolationLevel, "isolationLevel");
        return binding.sessionSetting(connection -> connection.setTransactionIsolationLevel(isolationLevel),
                () -> pendingIsolation = isolationLevel);
    }

    @Override
    public Mono<Void> setLockWaitTimeout(Duration timeout) {
        Arguments.require(timeout, "timeout");
        return binding.sessionSetting(connection -> connection.setLockWaitTimeout(timeout), () -> { });
    }

    @Override
    public Mono<Void> setStatementTimeout(Duration timeout) {
        Arguments.require(timeout, "timeout");
        return binding.sessionSetting(connection -> connection.setStatementTimeout(timeout), () -> { });
    }

    @Override
    public Mono<Boolean> validate(ValidationDepth depth) {
        Arguments.require(depth, "depth");
        return Mono.defer(() -> {
            if (binding.isClosed()) {
                return Mono.just(false);
            }
            ConnectionLoan connection = binding.borrowed();
            return connection == null ? Mono.just(true) : Mono.from(connection.connection().validate(depth));
        });
    }

    /**
     * Releases the borrowed connection, exactly once, waiting for a borrow still under way; a
     * connection never bound releases nothing. Later calls complete at once. The release runs on
     * its own once started: a subscriber of {@code close()} that cancels (Spring's clean-up inside
     * a chain that is itself cancelled: a timeout, a client gone) stops waiting for it, never the
     * release itself, which left the connection borrowed for good.
     */
    @Override
    public Mono<Void> close() {
        return binding.close(this::release);
    }

    /**
     * A broken connection is discarded. A statement whose reply is still outstanding (the caller
     * took what it wanted, or cancelled: {@code usingWhen} calls {@code close()} as soon as the
     * cancel starts, before it has reached the reply) is stopped on the server or the connection
     * resynchronised ({@link ConnectionLoan#releaseAfterCancel()}); outside a transaction a
     * write's outcome is then unknown, so a consistency tracker is marked uncertain instead of
     * advanced. Otherwise the
     * connection goes back clean, after advancing the session past a write.
     */
    private Mono<Void> release(ConnectionLoan connection) {
        Throwable failure = connectionFailure;
        if (failure != null) {
            return connection.releaseAfterError(failure);
        }
        Optional<ConsistencyTracker> session = ConsistencyTracker.from(context);
        if (connection.isStatementInFlight()) {
            if (connection.isForWrites() && wrote && connection.connection().isAutoCommit()) {
                // Outside a transaction the statement commits on its own; inside one it is rolled back.
                session.ifPresent(connection::writeOutcomeUnknown);
            }
            return connection.releaseAfterCancel();
        }
        Mono<Void> recorded = connection.isForWrites() && wrote && session.isPresent() && connection.connection().isAutoCommit()
                ? connection.recordWritePosition(session.get())
                : Mono.empty();
        return recorded.then(connection.release());
    }

    @Override
    public String toString() {
        ConnectionLoan connection = binding.borrowed();
        return "RoutedConnection[" + (connection == null ? (binding.isClosed() ? "closed" : "unbound") : connection.toString()) + "]";
    }
}
