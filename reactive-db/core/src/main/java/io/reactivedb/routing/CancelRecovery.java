package io.reactivedb.routing;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ValidationDepth;
import io.r2dbc.spi.Wrapped;
import io.reactivedb.config.Pooler;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The path of a {@link Lease} whose work was cancelled mid-statement: the statement stopped on the
 * server with PostgreSQL's cancel request when it runs on, and the connection brought back in step
 * with one round trip (a validation query, or a rollback in a transaction) before it is lent again.
 *
 * <p>Why a connection can be kept after a cancel request: the request is delivered asynchronously,
 * and one arriving late would cancel whatever runs next on that backend. r2dbc-postgresql's
 * {@code cancelRequest()} completes when the server closes the request's connection, and the
 * PostgreSQL process that reads a cancel request signals the backend ({@code kill}, so the signal is
 * pending from then on) before it exits and its socket closes. The round trip is sent only after
 * that: the backend takes the signal at the latest when it returns from reading the round trip, and
 * a cancel taken while reading a command is dropped ({@code PostgresMain}: a cancel is a no-op with
 * no query in progress). So the signal lands on the cancelled unit's own statements or between
 * statements, never on the round trip or the next borrower's work. Should the round trip fail all
 * the same (a {@code 57014} included), the connection is discarded.
 *
 * <p>That holds only when the connection that closes is the server's. Behind a pooler
 * ({@code DB_POOLER}) it is the pooler's, which may close it as soon as it has passed the request
 * on, before the server has read it; there the connection is discarded after a cancel request, as
 * is one whose request failed or was not confirmed within the cleanup timeout.
 */
final class CancelRecovery {

    private static final Logger log = LoggerFactory.getLogger(CancelRecovery.class);
    /** A cancelled statement still running this long after it was sent is stopped on the server. */
    static final Duration CANCEL_ON_SERVER_AFTER = Duration.ofMillis(100);

    private final Lease lease;
    private final Endpoint endpoint;
    private final Connection connection;
    private final Scheduler scheduler;
    private final Duration cleanupTimeout;

    CancelRecovery(Lease lease, Endpoint endpoint, Connection connection, Scheduler scheduler, Duration cleanupTimeout) {
        this.lease = lease;
        this.endpoint = endpoint;
        this.connection = connection;
        this.scheduler = scheduler;
        this.cleanupTimeout = cleanupTimeout;
    }

    /**
     * Work was cancelled mid-flight.
     *
     * <p>A statement cancelled younger than {@link #CANCEL_ON_SERVER_AFTER} gets the rest of that
     * time to finish: the connection goes back once a round trip proves it is in step again
     * (r2dbc-pool#198). One still running then (or older when cancelled) is stopped on the server
     * with PostgreSQL's cancel request, and the same round trip follows within the cleanup timeout;
     * the connection is kept when the request was confirmed by the server itself and the round trip
     * came back, else discarded (see the class description). (Closing the socket instead of
     * cancelling would leave the server working: a backend does not notice a closed client while it
     * sleeps or scans.)
     *
     * <p>With no statement in flight the same round trip runs within the cleanup timeout.
     */
    Mono<Void> releaseAfterCancel() {
        return Mono.defer(() -> {
            if (lease.sessionChanged()) {
                return lease.discard();
            }
            // The resync is sent after every statement so far: when it comes back, they all have.
            long sentBefore = lease.statementsSent();
            if (!lease.statementInFlight()) {
                return lease.attempt(resync(), "resynchronise the connection after a cancel")
                        .flatMap(inStep -> inStep ? inStepAgain(sentBefore) : lease.discard());
            }
            long left = CANCEL_ON_SERVER_AFTER.toNanos() - (System.nanoTime() - lease.statementStartedNanos());
            Mono<Boolean> finishedByItself = left <= 0 ? Mono.just(Boolean.FALSE) : resync().timeout(Duration.ofNanos(left), scheduler)
                    .thenReturn(Boolean.TRUE)
                    .onErrorResume(error -> Mono.just(Boolean.FALSE));
            return finishedByItself.flatMap(inStep -> inStep ? inStepAgain(sentBefore) : stopOnServerThenResync());
        });
    }

    /**
     * Rolls back the transaction of work that was cancelled mid-statement but goes on using the
     * connection (a transaction manager rolling back after a cancel): a statement still in flight is
     * first stopped on the server, however briefly it has run (the ROLLBACK would otherwise wait
     * behind it, and a cancel usually comes because the statement takes too long). The connection
     * stays usable when the cancel request was confirmed by the server and the rollback came back;
     * otherwise the release discards it, whose closing ends the transaction on the server. Never fails.
     */
    Mono<Void> rollbackAfterCancel() {
        return Mono.defer(() -> {
            Mono<Boolean> stop = Mono.just(Boolean.TRUE);
            if (lease.statementInFlight()) {
                stop = stopOnServer();
            }
            return stop.flatMap(stopped -> {
                if (!stopped) {
                    lease.discardOnRelease();
                }
                long sentBefore = lease.statementsSent();
                return lease.attempt(Mono.from(connection.rollbackTransaction()), "roll back after a cancel").doOnNext(inStep -> {
                    if (inStep) {
                        lease.finished(sentBefore);
                    } else {
                        lease.discardOnRelease();
                    }
                });
            }).then();
        });
    }

    /** A round trip that comes back only after every reply before it: a validation query, or a rollback in a transaction. */
    private Mono<Void> resync() {
        return Mono.defer(() -> connection.isAutoCommit()
                ? Mono.from(connection.validate(ValidationDepth.REMOTE)).flatMap(valid -> valid
                        ? Mono.<Void>empty()
                        : Mono.error(new IllegalStateException("validation query failed")))
                : Mono.from(connection.rollbackTransaction()));
    }

    /** The cancel request, confirmed; then the resync round trip: the connection kept when both succeed, else discarded. */
    private Mono<Void> stopOnServerThenResync() {
        return stopOnServer().flatMap(stopped -> {
            if (!stopped) {
                return lease.discard();
            }
            long sentBefore = lease.statementsSent();
            return lease.attempt(resync(), "resynchronise the connection after a cancel request")
                    .flatMap(inStep -> inStep ? inStepAgain(sentBefore) : lease.discard());
        });
    }

    private Mono<Void> inStepAgain(long sentBefore) {
        lease.finished(sentBefore);
        return lease.releaseInStep();
    }

    /**
     * A cancel request for the running statement, bounded by the cleanup timeout; never fails.
     * Emits true once the server itself has confirmed it (closed the request's connection, after
     * signalling the backend), false when it failed, timed out, or went through a pooler, whose
     * closing confirms nothing about the server.
     */
    private Mono<Boolean> stopOnServer() {
        boolean direct = endpoint.pool().pooler() == Pooler.NONE;
        return cancelRequest()
                .timeout(cleanupTimeout, scheduler)
                .map(confirmed -> confirmed && direct)
                .onErrorResume(error -> {
                    log.debug("[{}] cancel request not confirmed: {}", endpoint.name(), error.toString());
                    return Mono.just(Boolean.FALSE);
                });
    }

    /**
     * Asks the server to stop the statement running on this connection (PostgreSQL's cancel
     * request, sent over a connection of its own): cancelling a subscription alone does not, so
     * without it the server would keep working (r2dbc-postgresql#251). The driver's request
     * completes when the other end closes that connection.
     *
     * @return true once the other end closed it; false when it failed or this is not a PostgreSQL connection
     */
    @SuppressWarnings("unchecked")
    private Mono<Boolean> cancelRequest() {
        Connection physical = connection instanceof Wrapped<?> wrapped ? ((Wrapped<Connection>) wrapped).unwrap() : connection;
        if (physical instanceof PostgresqlConnection postgres) {
            return postgres.cancelRequest()
                    .thenReturn(Boolean.TRUE)
                    .onErrorResume(error -> {
                        log.debug("[{}] cancel request failed: {}", endpoint.name(), error.toString());
                        return Mono.just(Boolean.FALSE);
                    });
        }
        return Mono.just(Boolean.FALSE);
    }
}
