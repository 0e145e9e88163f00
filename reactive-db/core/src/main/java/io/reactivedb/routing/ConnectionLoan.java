package io.reactivedb.routing;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.Phase;
import io.reactivedb.error.ReactiveDbException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * A pooled connection lent by {@link ReactiveDbRouter#borrowForRead} or
 * {@link ReactiveDbRouter#borrowForWrite} to an integration that runs the unit of work itself (such
 * as {@code io.reactivedb.r2dbc.RouterConnectionFactory} under Spring's transaction manager),
 * instead of through {@link ReactiveDbRouter#read}/{@link ReactiveDbRouter#write}. It is the
 * integrations' counterpart of the {@link DbSession} a unit of work receives: the borrower gets the
 * raw R2DBC {@link #connection()} and ends the loan itself, where a unit of work's session is ended by
 * the router.
 *
 * <p>The endpoint was chosen, the breaker consulted and the connection acquired (with the pool's
 * acquire deadline) exactly as for the router's own units, and it counts as in flight on its
 * endpoint until released, so {@link ReactiveDbRouter#shutdown} waits for it. The borrower must end
 * the loan with exactly one of {@link #release()}, {@link #releaseAfterError(Throwable)} or
 * {@link #releaseAfterCancel()} (later calls do nothing), and must never close
 * {@link #connection()} itself: the release applies the router's hygiene (an open transaction is
 * rolled back, a changed session or a broken connection is discarded, a cancelled statement is
 * stopped on the server or the connection resynchronised).
 *
 * <p>Not retried and not bounded by the router's query timeout: the borrower owns the unit of
 * work. The loan is reported to the query listeners (and the slow-query log) as one unit of work,
 * from its acquire to the start of its release, with the operation {@code read} or {@code write}
 * (or the Context's {@link DbOperation}) and an outcome as a unit's: {@code cancelled} when released
 * mid-reply, else the kind of the first statement failure, or of the error it was released after,
 * else {@code success}; a loan whose acquire failed is reported with the failure's kind. Thread-safe.
 */
public final class ConnectionLoan {

    private static final Logger log = LoggerFactory.getLogger(ConnectionLoan.class);
    private static final String READ_ONLY_TRANSACTION = "25006";

    private final Lease lease;
    private final boolean forWrites;
    private final AtomicInteger inFlight;
    private final @Nullable AtomicLong answered;
    private final Consumer<Lease> onWriteToReadOnlyServer;
    private final Observation.LoanEnding ending;
    private final AtomicBoolean released = new AtomicBoolean();
    /** The first failure the server reported for a statement of this loan: the loan's outcome. */
    private final AtomicReference<@Nullable Throwable> firstFailure = new AtomicReference<>();

    ConnectionLoan(Lease lease, boolean forWrites, AtomicInteger inFlight, Consumer<Lease> onWriteToReadOnlyServer) {
        this(lease, forWrites, inFlight, null, onWriteToReadOnlyServer, Observation.LoanEnding.NONE);
    }

    /**
     * @param answered counts loans released after their work completed: the endpoint's sign of life (see the router's stall watch)
     * @param ending   told the loan's outcome when its release starts (see {@link #outcome()})
     */
    ConnectionLoan(Lease lease, boolean forWrites, AtomicInteger inFlight, @Nullable AtomicLong answered,
                       Consumer<Lease> onWriteToReadOnlyServer, Observation.LoanEnding ending) {
        this.lease = lease;
        this.forWrites = forWrites;
        this.inFlight = inFlight;
        this.answered = answered;
        this.onWriteToReadOnlyServer = onWriteToReadOnlyServer;
        this.ending = ending;
    }

    /** The name of the endpoint the connection belongs to, for example {@code replica-1}. */
    public String endpoint() {
        return lease.endpoint();
    }

    /** Whether it was borrowed for writes (from the writable primary). */
    public boolean isForWrites() {
        return forWrites;
    }

    /**
     * The pooled connection, for transaction control and anything {@link #statement} does not
     * cover. Never close it: end the loan with a release method.
     */
    public Connection connection() {
        return lease.connectionForBorrower();
    }

    /**
     * A statement on the connection. Statements that change session state are noticed here (see
     * {@link DbSession}) and make the release discard the connection.
     */
    public Statement statement(String sql) {
        return lease.statement(sql);
    }

    /** A batch on the connection; its statements are checked for session changes as {@link #statement}'s are. */
    public Batch batch() {
        Batch batch = lease.batch();
        return new Batch() {
            @Override
            public Batch add(String sql) {
                Objects.requireNonNull(sql, "sql");
                lease.noteSessionChange(sql);
                batch.add(sql);
                return this;
            }

            @Override
            public Publisher<? extends Result> execute() {
                return batch.execute();
            }
        };
    }

    /**
     * Tells the release hygiene that a statement is being sent and its reply will be on its way
     * until {@link #statementFinished(long)}: a release before that stops it on the server or
     * resynchronises the connection (see {@link #release()}).
     *
     * @return the statement's number on this connection, for {@link #statementFinished(long)}
     */
    public long statementStarted() {
        return lease.statementStarted();
    }

    /**
     * The reply of statement {@code statement} (a number from {@link #statementStarted()}) has fully
     * arrived: every result read to its end, or the server's error received. Replies come in order,
     * so every statement started before it is finished too. Never call it for a reply the borrower
     * stopped reading (a cancel, an error of its own mapping): the rest is still on its way.
     */
    public void statementFinished(long statement) {
        lease.finished(statement);
    }

    /** Whether a statement was started whose reply has not fully arrived (see {@link #statementFinished(long)}). */
    public boolean isStatementInFlight() {
        return lease.statementInFlight();
    }

    /**
     * The server reported statement {@code statement}'s failure with {@code error}: its reply has
     * arrived ({@link #statementFinished(long)}), and a write rejected as read-only ({@code 25006})
     * by the server taken for the primary discards the connection and re-checks the topology at
     * once, as the router's own writes do.
     */
    public void statementFailed(long statement, Throwable error) {
        Objects.requireNonNull(error, "error");
        firstFailure.compareAndSet(null, error);
        lease.finished(statement);
        if (ErrorTranslator.isProtocolViolation(error)) {
            // The driver's side is out of step with the server's (its prepared statements): not lent again.
            lease.discardOnRelease();
        }
        if (forWrites && READ_ONLY_TRANSACTION.equals(ErrorTranslator.sqlStateOf(error))) {
            onWriteToReadOnlyServer.accept(lease);
        }
    }

    /**
     * Commits the open transaction (nothing when none is open). Behind a statement still in flight
     * the COMMIT waits for it: what the transaction wrote is committed, never given up.
     */
    public Mono<Void> commit() {
        return lease.commit();
    }

    /**
     * Rolls back the open transaction (nothing when none is open). With a statement still in flight
     * (its reader cancelled or stopped reading), as {@link #rollbackAfterCancel()}: the statement is
     * stopped on the server instead of the ROLLBACK waiting behind it.
     */
    public Mono<Void> rollback() {
        return lease.rollback();
    }

    /**
     * Rolls back after the borrower's work was cancelled part way through a statement, without
     * waiting behind it: a statement still in flight is stopped on the server first (and the
     * connection will be discarded on release). Never fails: when the rollback cannot be done
     * in time the connection is discarded on release, which ends the transaction on the server.
     */
    public Mono<Void> rollbackAfterCancel() {
        return lease.rollbackAfterCancel();
    }

    /** Makes the release discard the connection: for session state changed other than by {@link #statement}. */
    public void discardOnRelease() {
        lease.discardOnRelease();
    }

    /**
     * Moves {@code tracker} to the primary's current WAL position, for read-your-writes after what
     * was written on this connection; call with no transaction open. When the position cannot be
     * read the tracker is marked so that its read-your-writes reads go to the primary. Never fails.
     */
    public Mono<Void> recordWritePosition(ConsistencyTracker tracker) {
        Objects.requireNonNull(tracker, "tracker");
        return lease.walInsertPosition()
                .doOnNext(tracker::advance)
                .onErrorResume(error -> {
                    log.debug("[{}] could not read the WAL position after a write: {}", lease.endpoint(), error.toString());
                    tracker.markUncertain();
                    return Mono.empty();
                })
                .then();
    }

    /**
     * A write on this connection was left before its reply arrived, so whether (or where) it
     * happened is unknown: from now on {@code tracker}'s read-your-writes reads go to the primary.
     */
    public void writeOutcomeUnknown(ConsistencyTracker tracker) {
        Objects.requireNonNull(tracker, "tracker").markUncertain();
    }

    /**
     * The work completed: roll back a transaction left open, discard a changed session, give the
     * connection back. When a statement is still in flight (the borrower stopped reading its reply,
     * or closes before its cancel has reached the reply), as {@link #releaseAfterCancel()}: the
     * connection never goes back mid-reply.
     */
    public Mono<Void> release() {
        return once(this::outcome, () -> {
            if (answered != null) {
                answered.incrementAndGet();
            }
            return lease.release();
        });
    }

    /** The work failed with {@code error}: a broken connection is discarded, anything else cleaned and given back as by {@link #release()}. */
    public Mono<Void> releaseAfterError(Throwable error) {
        Objects.requireNonNull(error, "error");
        return once(() -> outcomeOf(error), () -> lease.releaseAfterError(error));
    }

    /** The work was cancelled: a long statement is cancelled on the server and the connection discarded, else resynchronised. */
    public Mono<Void> releaseAfterCancel() {
        return once(() -> "cancelled", lease::releaseAfterCancel);
    }

    /**
     * The loan's end is told to the query listeners before its release runs, so a caller that has
     * seen the release complete (Spring's {@code close()} inside {@code usingWhen}) finds it counted.
     */
    private Mono<Void> once(Supplier<String> outcome, Supplier<Mono<Void>> release) {
        return Mono.defer(() -> {
            if (!released.compareAndSet(false, true)) {
                return Mono.empty();
            }
            ending.ended(outcome.get());
            return release.get().doFinally(signal -> inFlight.decrementAndGet());
        });
    }

    /**
     * The {@code outcome} tag of a loan released as completed: {@code cancelled} when a reply is
     * still outstanding (its reader stopped), else the kind of the first failure the server
     * reported for one of its statements ({@link #statementFailed}), else {@code success}.
     */
    private String outcome() {
        if (lease.statementInFlight()) {
            return "cancelled";
        }
        Throwable failure = firstFailure.get();
        return failure == null ? "success" : outcomeOf(failure);
    }

    private String outcomeOf(Throwable error) {
        return Observation.outcomeOf(error instanceof ReactiveDbException translated
                ? translated : ErrorTranslator.translate(error, lease.endpoint(), Phase.EXECUTE, forWrites));
    }

    /** Whether the loan has ended. */
    public boolean isReleased() {
        return released.get();
    }

    @Override
    public String toString() {
        return "ConnectionLoan[" + lease.endpoint() + (forWrites ? ", writes" : ", reads") + (released.get() ? ", released" : "") + "]";
    }
}
