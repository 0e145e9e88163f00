package io.reactivedb.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * An R2DBC {@link ConnectionFactory} over a {@link ReactiveDbRouter}, for code written against the
 * SPI: Spring's {@code DatabaseClient}, {@code R2dbcEntityTemplate}, Spring Data R2DBC repositories,
 * with {@code R2dbcTransactionManager} / {@code TransactionalOperator}.
 *
 * <p>{@link #create()} borrows nothing: it emits a connection that binds to an endpoint when its
 * first operation arrives, because Spring's transaction manager obtains the connection before it
 * says whether the transaction is read-only (it says so in
 * {@link Connection#beginTransaction(io.r2dbc.spi.TransactionDefinition)}). A begin borrows nothing
 * either: the transaction binds, and its BEGIN is sent, with its first statement (so a transaction
 * Spring drops between its begin and its work, on a cancel, holds no connection):
 * <ul>
 *   <li>a transaction begun with {@code TransactionDefinition.READ_ONLY} true
 *       ({@code @Transactional(readOnly = true)}) binds where a read goes: at the consistency put in
 *       the context with {@link #withConsistency}, else {@link ReadConsistency#readYourWrites()} when a
 *       {@link io.reactivedb.routing.ConsistencyTracker} is in the context, else
 *       {@link ReadConsistency#eventual()}; a replica in rotation, else the writable primary;</li>
 *   <li>any other transaction, savepoint or {@code setAutoCommit(false)}: the writable primary;</li>
 *   <li>a statement outside a transaction: the writable primary, unless the context asks for a
 *       read with {@link #withConsistency} (then a write there fails on a replica with SQLSTATE
 *       {@code 25006}).</li>
 * </ul>
 * The context is the one of the subscription to {@code create()}: with Spring, put
 * {@code contextWrite(RouterConnectionFactory.withConsistency(...))} (and a consistency tracker)
 * downstream of the transactional operator or repository call, not inside it.
 *
 * <p>The endpoint choice, health, breakers, pools, acquire deadline and in-flight accounting are
 * the router's ({@link ReactiveDbRouter#borrowForRead}). Closing a connection releases it exactly
 * once with the router's hygiene: a transaction left open is rolled back, a session whose state was
 * changed (by SQL such as {@code SET}, or by {@code setStatementTimeout}, {@code setLockWaitTimeout},
 * {@code setTransactionIsolationLevel}) is discarded, a statement whose reply was not read to its end
 * (cancelled, or left after its first rows: {@code take(1)}, {@code first()}) is stopped on the
 * server or the connection resynchronised, never handed back mid-reply. After a write on the primary, a
 * {@link io.reactivedb.routing.ConsistencyTracker} in the context is advanced to the primary's WAL
 * position when the connection is closed (so the next read-your-writes read sees the write).
 *
 * <p>Statement errors stay the driver's {@code R2dbcException}s, so Spring translates them into its
 * {@code DataAccessException}s as usual; failures to obtain a connection are the router's
 * {@link io.reactivedb.error.ReactiveDbException}s ({@code DbPoolExhaustedException},
 * {@code DbUnavailableException}, …). Unlike {@link ReactiveDbRouter#read}/{@code write}, work
 * through this factory is not retried and not bounded by the router's query timeout: the unit of
 * work belongs to the caller (the session defaults such as {@code DB_STATEMENT_TIMEOUT} still apply).
 *
 * <p>Each bound connection's use, from its borrow to its release (a statement outside a
 * transaction, or a whole transaction), is reported to the router's
 * {@link io.reactivedb.routing.QueryListener}s and slow-query log as one unit of work, operation
 * {@code read} or {@code write} (or a {@link io.reactivedb.routing.DbOperation} name in the context),
 * as {@link io.reactivedb.routing.ConnectionLoan} describes.
 */
public final class RouterConnectionFactory implements ConnectionFactory {

    private static final Object CONSISTENCY_KEY = RouterConnectionFactory.class.getName() + ".consistency";
    private static final ConnectionFactoryMetadata METADATA = () -> "PostgreSQL";

    private final ReactiveDbRouter router;

    private RouterConnectionFactory(ReactiveDbRouter router) {
        this.router = router;
    }

    /** A factory over {@code router}; the router's lifecycle stays the caller's. */
    public static RouterConnectionFactory of(ReactiveDbRouter router) {
        return new RouterConnectionFactory(Objects.requireNonNull(router, "router"));
    }

    /**
     * For {@code contextWrite}: read-only transactions, and statements outside a transaction, reached
     * by this context read at {@code consistency}. {@link ReadConsistency#strong()} keeps them on the
     * primary.
     */
    public static Function<Context, Context> withConsistency(ReadConsistency consistency) {
        Objects.requireNonNull(consistency, "consistency");
        return context -> context.put(CONSISTENCY_KEY, consistency);
    }

    /** The consistency put in {@code context} by {@link #withConsistency}, if any. */
    public static Optional<ReadConsistency> consistencyOf(ContextView context) {
        return context.getOrEmpty(CONSISTENCY_KEY);
    }

    /**
     * A connection not yet bound to an endpoint (see the class description); it captures the
     * subscriber's context. Never fails: a router that cannot serve fails the first operation.
     */
    @Override
    public Mono<Connection> create() {
        return Mono.deferContextual(context -> Mono.just(new RoutedConnection(router, context)));
    }

    /** {@code PostgreSQL}, so that Spring Data picks its PostgreSQL dialect. */
    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return METADATA;
    }

    public ReactiveDbRouter router() {
        return router;
    }

    @Override
    public String toString() {
        return "RouterConnectionFactory[" + router.endpoints().size() + " endpoint(s)]";
    }
}
