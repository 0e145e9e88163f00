package io.reactivedb.routing;

import io.r2dbc.spi.Connection;
import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.DbOutcomeUnknownException;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.Phase;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.health.Lsn;
import io.reactivedb.internal.pool.EndpointPool;
import io.reactivedb.internal.pool.LeakDetector;
import io.reactivedb.internal.resilience.EndpointBreakers;
import io.reactivedb.internal.resilience.RetryOperator;
import io.reactivedb.resilience.FailureClassifier;
import io.reactivedb.resilience.RetrySettings;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * Runs one {@link Unit} with the operator stack, innermost first: the pooled connection's life
 * ({@code usingWhen}: begin, work, commit, release) → deadline (query timeout, cancelling on the
 * server) → timing, slow-query log and listeners → the endpoint's circuit breaker (a refused read
 * falls back to another endpoint once); around it all, retry with backoff, which resubscribes and
 * so picks an endpoint afresh.
 */
final class UnitExecutor {

    private static final Logger log = LoggerFactory.getLogger(UnitExecutor.class);
    private static final String READ_ONLY_TRANSACTION = "25006";

    /**
     * One try of a unit: where it must go, if anywhere in particular.
     *
     * @param refused an endpoint whose breaker just refused this read: it goes elsewhere at once (nothing was sent)
     * @param pinned  the endpoint this try must use (a pinned unit, or the outcome of a replay check), or null to route it
     */
    private record Attempt<T>(Unit<T> unit, @Nullable Endpoint refused, @Nullable Endpoint pinned) {

        /** Only a routed read may move on when its breaker refuses it; the rest wait for a half-open breaker's trial slot. */
        boolean mayFallBack() {
            return !unit.toWriter() && refused == null && pinned == null;
        }
    }

    /** What one attempt holds once its connection is handed over. */
    private static final class Held {
        private @Nullable Lease lease;
        /** When the connection was handed over: the breaker times the call from there, so a wait in the pool's queue is not a slow call. */
        private long handedOver = EndpointBreakers.NOT_STARTED;
        private ConnectionWait.@Nullable Holding holding;

        String lastSql() {
            Lease held = lease;
            return held == null ? "" : held.lastSql();
        }
    }

    private final RouterWiring wiring;
    private final Shutdown shutdown;
    private final Duration queryTimeout;
    /** Made once: it defers per subscription itself, so each unit gets its own attempts and budget. */
    private final @Nullable Function<Flux<Object>, Flux<Object>> retry;
    private final Placement placement;
    private final ReplayCheck replayCheck;

    UnitExecutor(RouterWiring wiring, Shutdown shutdown, Duration queryTimeout, @Nullable RetrySettings retry) {
        this.wiring = wiring;
        this.shutdown = shutdown;
        this.queryTimeout = queryTimeout;
        this.retry = retry == null ? null
                : RetryOperator.retry(retry, wiring.scheduler, FailureClassifier::isRetryable, wiring.observation::onRetry);
        this.placement = new Placement(wiring);
        this.replayCheck = new ReplayCheck(wiring.scheduler, wiring.cleanupTimeout());
    }

    Placement placement() {
        return placement;
    }

    <T> Flux<T> run(Unit<T> unit) {
        Flux<T> first = Flux.deferContextual(context -> attempt(context, new Attempt<>(unit, null, unit.pinned())));
        if (retry == null) {
            return first;
        }
        // transform, not transformDeferred: the operator defers per subscription already. The
        // attempts share one wait for a connection, bounded by the acquire timeout in all.
        return first.transform(retryOperator())
                .contextWrite(context -> ConnectionWait.put(context, wiring.acquireTimeout(), wiring.scheduler));
    }

    @SuppressWarnings("unchecked")
    private <T> Function<Flux<T>, Flux<T>> retryOperator() {
        return (Function<Flux<T>, Flux<T>>) (Function<?, ?>) retry;
    }

    private <T> Flux<T> attempt(ContextView context, Attempt<T> attempt) {
        if (!shutdown.isAccepting()) {
            return Flux.error(Shutdown.refusal());
        }
        Unit<T> unit = attempt.unit();
        Optional<ConsistencyTracker> session = ConsistencyTracker.from(context);
        if (attempt.pinned() != null) {
            return on(context, attempt, attempt.pinned(), session);
        }
        if (unit.toWriter()) {
            Endpoint writer = placement.writer();
            return writer == null ? Flux.error(Placement.nowhere(null)) : on(context, attempt, writer, session);
        }
        Placement.Target target = placement.read(unit.readConsistency(), session, attempt.refused());
        Endpoint endpoint = target.endpoint();
        if (endpoint == null) {
            return Flux.error(Placement.nowhere(unit.readConsistency()));
        }
        Endpoint replica = target.replayCheck();
        Optional<Lsn> token = session.flatMap(ConsistencyTracker::token).map(ConsistencyToken::lsn);
        if (replica != null && token.isPresent()) {
            return replayCheck.hasReplayed(replica, token.get())
                    .flatMapMany(caughtUp -> attempt(context, new Attempt<>(unit, attempt.refused(), caughtUp ? replica : endpoint)));
        }
        return on(context, attempt, endpoint, session);
    }

    /** The attempt on {@code endpoint}: connection, deadline, observation, breaker. */
    private <T> Flux<T> on(ContextView context, Attempt<T> attempt, Endpoint endpoint, Optional<ConsistencyTracker> session) {
        Unit<T> unit = attempt.unit();
        Held held = new Held();
        boolean mayHaveWritten = unit.mayHaveWritten(context);
        ConnectionWait wait = ConnectionWait.of(context, wiring.acquireTimeout(), wiring.scheduler);
        LeakDetector.Origin origin = wiring.leaks.isOn() ? wiring.leaks.origin(leakLabel(unit, context), context) : LeakDetector.Origin.NONE;
        Flux<T> flux = leased(context, unit, endpoint, held, wait, origin, !attempt.mayFallBack(), mayHaveWritten, session);
        flux = bounded(flux, endpoint, DbOperation.timeoutOf(context, queryTimeout), mayHaveWritten, held);
        if (unit.toWriter() && wiring.health != null) {
            // A write that cannot reach the writer is the first sign of a failover: find out now.
            flux = flux.doOnError(error -> {
                if (error instanceof DbConnectionException || error instanceof DbOutcomeUnknownException) {
                    wiring.topology.troubleOn(endpoint);
                }
            });
        }
        flux = wiring.observation.observed(flux, endpoint, unit.operation(context), held::lastSql);
        return guarded(context, attempt, endpoint, flux, held, wait);
    }

    /** The leak detector's name of a unit: its kind, and the Context's {@link DbOperation} name when it has one. */
    private static String leakLabel(Unit<?> unit, ContextView context) {
        String kind = unit.kind().name().toLowerCase(java.util.Locale.ROOT);
        String named = unit.operation(context);
        return named.equals(kind) ? kind : kind + " '" + named + "'";
    }

    private <T> Flux<T> leased(ContextView context, Unit<T> unit, Endpoint endpoint, Held held, ConnectionWait wait, LeakDetector.Origin origin,
                               boolean waitsForTrial, boolean mayHaveWritten, Optional<ConsistencyTracker> session) {
        EndpointPool pool = endpoint.pool();
        ConsistencyTracker tracked = unit.toWriter() ? session.orElse(null) : null;
        Mono<Connection> acquired = acquire(pool, wait, wait.begin(), waitsForTrial && wiring.breakers != null);
        Mono<Lease> leases = !wiring.tracing.enabled() ? acquired.map(connection -> handOver(held, endpoint, connection, wait, origin, null))
                : Mono.defer(() -> {
                    long acquiring = System.nanoTime();
                    return acquired.map(connection -> handOver(held, endpoint, connection, wait, origin, wiring.tracing.forUnit(endpoint,
                            endpoint == placement.writer(), unit.toWriter() ? null : unit.readConsistency(), context, acquiring)));
                });
        Flux<T> flux = Flux.usingWhen(
                leases,
                // The work sees what this unit holds: a unit it runs waits only what is left
                // of the acquire timeout, and one on the same pool is counted as nested.
                lease -> body(lease, unit, mayHaveWritten)
                        .contextWrite(workContext -> ConnectionWait.holding(workContext, Objects.requireNonNull(held.holding))),
                lease -> complete(lease, unit.isTransaction(), tracked),
                Lease::releaseAfterError,
                Lease::releaseAfterCancel);
        // A transaction's results reach the caller only once it has committed: one that then fails
        // to commit (a serialization failure at COMMIT) was never true, and would also stop the
        // retry, which never restarts a stream that has emitted.
        return unit.isTransaction() ? flux.collectList().flatMapIterable(results -> results) : flux;
    }

    private Lease handOver(Held held, Endpoint endpoint, Connection connection, ConnectionWait wait, LeakDetector.Origin origin,
                           @Nullable LeaseTracing tracing) {
        if (wiring.breakers != null) {
            held.handedOver = wiring.breakers.now();
        }
        held.holding = wait.handedOver(endpoint.pool());
        Lease lease = new Lease(endpoint, connection, wiring.scheduler, wiring.cleanupTimeout(), wiring.leaks.watch(origin, endpoint.name()),
                tracing);
        held.lease = lease;
        return lease;
    }

    /**
     * The attempt's acquisition: the pool's own when the whole acquire timeout is left, else bounded
     * by what is left of the unit's wait when it subscribes (after a wait for a breaker's trial slot).
     */
    private static Mono<Connection> acquire(EndpointPool pool, ConnectionWait wait, boolean fresh, boolean waitsForTrial) {
        boolean nested = wait.nestedOn(pool);
        if (fresh && !nested && !waitsForTrial) {
            return pool.acquire();
        }
        return Mono.defer(() -> pool.acquire(wait.remaining(), nested));
    }

    /** One error mapping for the deadline's timeout and usingWhen's wrapper of a failed commit. */
    private <T> Flux<T> bounded(Flux<T> flux, Endpoint endpoint, Duration timeout, boolean mayHaveWritten, Held held) {
        return flux.transform(wiring.deadlines.within(timeout))
                .onErrorMap(error -> error instanceof TimeoutException
                        ? UnitErrors.timedOut(endpoint, timeout, mayHaveWritten && held.lease != null, error)
                        : UnitErrors.isCleanupWrapper(error) ? error.getCause() : error);
    }

    private <T> Flux<T> guarded(ContextView context, Attempt<T> attempt, Endpoint endpoint, Flux<T> flux, Held held, ConnectionWait wait) {
        EndpointBreakers breakers = wiring.breakers;
        if (breakers == null) {
            return flux;
        }
        // transform, not transformDeferred: this runs once per subscription already. Work with
        // nowhere else to go may wait for a half-open breaker's trial slot (within its acquire deadline).
        if (!attempt.mayFallBack()) {
            return flux.transform(breakers.operator(endpoint.name(), () -> held.handedOver, wait::remaining));
        }
        // Fallback: a half-open breaker whose trial calls are all taken refuses the read; it goes
        // to the next eligible endpoint (once), not back to the caller.
        return flux.transform(breakers.<T>operator(endpoint.name(), () -> held.handedOver))
                .onErrorResume(error -> error instanceof DbUnavailableException unavailable
                                && unavailable.endpoint().map(endpoint.name()::equals).orElse(false),
                        error -> attempt(context, new Attempt<>(attempt.unit(), endpoint, null)));
    }

    private <T> Flux<T> body(Lease lease, Unit<T> unit, boolean mayHaveWritten) {
        Flux<T> result = Flux.defer(() -> unit.work().apply(lease));
        if (unit.isTransaction()) {
            result = lease.begin(unit.options()).thenMany(result);
        }
        return result.onErrorMap(UnitErrors::isDriverFailure, error -> {
            ReactiveDbException translated = ErrorTranslator.translate(error, lease.endpoint(), Phase.EXECUTE, mayHaveWritten);
            if (unit.toWriter() && READ_ONLY_TRANSACTION.equals(translated.sqlState().orElse(null))) {
                wiring.onWriteToReadOnlyServer(lease);
            } else if (translated instanceof DbPoolerException pooler && pooler.reason() == DbPoolerException.Reason.STATEMENT_MISMATCH) {
                wiring.onPoolerMismatch(lease, pooler);
            }
            return translated;
        });
    }

    private Mono<Void> complete(Lease lease, boolean transaction, @Nullable ConsistencyTracker session) {
        if (!transaction && session == null) {
            return lease.release(); // the common case, without the empty steps before it
        }
        Mono<Void> done = transaction
                ? lease.commit().onErrorResume(error -> lease.release().then(Mono.error(UnitErrors.isDriverFailure(error)
                        ? ErrorTranslator.translate(error, lease.endpoint(), Phase.COMMIT, true) : error)))
                : Mono.empty();
        if (session != null) {
            done = done.then(lease.walInsertPosition()
                    .doOnNext(session::advance)
                    .onErrorResume(error -> {
                        log.debug("[{}] could not read the WAL position after a write: {}", lease.endpoint(), error.toString());
                        session.markUncertain();
                        return Mono.empty();
                    })
                    .then());
        }
        return done.then(Mono.defer(lease::release));
    }
}
