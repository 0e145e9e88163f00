package io.reactivedb.routing;

import io.r2dbc.spi.Connection;
import io.reactivedb.internal.pool.LeakDetector;
import io.reactivedb.internal.resilience.EndpointBreakers;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Lends connections to integrations that run the unit of work themselves
 * ({@link ReactiveDbRouter#borrowForRead}, {@link ReactiveDbRouter#borrowForWrite}): the same
 * endpoint choice, breaker, pool and acquire deadline as a unit of work, no retry; reported to the
 * query listeners as a unit of work (see {@link Observation#loan}).
 */
final class Loans {

    private final RouterWiring wiring;
    private final Shutdown shutdown;
    private final Placement placement;

    Loans(RouterWiring wiring, Shutdown shutdown, Placement placement) {
        this.wiring = wiring;
        this.shutdown = shutdown;
        this.placement = placement;
    }

    /** @param consistency where the read would go, or null for a connection of the writer */
    Mono<ConnectionLoan> borrow(@Nullable ReadConsistency consistency) {
        return Mono.deferContextual(context -> {
            if (!shutdown.isAccepting()) {
                return Mono.error(Shutdown.refusal());
            }
            Endpoint endpoint = consistency == null ? placement.writer()
                    : placement.read(consistency, ConsistencyTracker.from(context), null).endpoint();
            if (endpoint == null) {
                return Mono.error(Placement.nowhere(consistency));
            }
            boolean forWrites = consistency == null;
            String operation = DbOperation.of(context, forWrites ? "write" : "read");
            LeakDetector.Origin origin = wiring.leaks.isOn()
                    ? wiring.leaks.origin("connection loan for " + (forWrites ? "writes" : "reads") + " '" + operation + "'", context)
                    : LeakDetector.Origin.NONE;
            return lend(endpoint, forWrites, operation, origin, consistency);
        });
    }

    /**
     * @param operation the loan's name for the query listeners: the context's {@link DbOperation}, else
     *                  {@code read} or {@code write}
     * @param origin    who borrows, for the leak detector (captured at the borrow's subscription)
     */
    private Mono<ConnectionLoan> lend(Endpoint endpoint, boolean forWrites, String operation, LeakDetector.Origin origin,
                                      @Nullable ReadConsistency consistency) {
        // Observed from the acquire's subscription, inside the breaker: a loan is a unit of work for
        // the listeners (the timer of an integration's statements), reported once when it ends.
        AtomicReference<@Nullable Lease> held = new AtomicReference<>();
        AtomicReference<Observation.LoanEnding> ending = new AtomicReference<>(Observation.LoanEnding.NONE);
        Mono<Connection> acquire = Mono.defer(() -> {
            Observation.LoanEnding started = wiring.observation.loan(endpoint, operation, () -> {
                Lease lease = held.get();
                return lease == null ? "" : lease.lastSql();
            });
            ending.set(started);
            AtomicBoolean acquired = new AtomicBoolean();
            return endpoint.pool().acquire()
                    .doOnNext(connection -> acquired.set(true))
                    .doOnError(error -> started.ended(Observation.outcomeOf(error)))
                    // A cancel after the connection came (an operator taking the first element
                    // cancels upstream) ends nothing: the loan ends with its release.
                    .doOnCancel(() -> {
                        if (!acquired.get()) {
                            started.ended("cancelled");
                        }
                    });
        });
        EndpointBreakers breakers = wiring.breakers;
        if (breakers != null) {
            // The breaker sees the acquire: refuses it while open, counts a refused connection.
            // A wait for a connection is never a slow call (the borrower's own work is not seen).
            acquire = Mono.fromDirect(acquire.flux().transformDeferred(breakers.operator(endpoint.name(), () -> EndpointBreakers.NOT_STARTED)));
        }
        AtomicInteger inFlight = endpoint.inFlightCounter();
        inFlight.incrementAndGet();
        AtomicBoolean lent = new AtomicBoolean();
        long acquiring = System.nanoTime();
        return acquire
                .map(connection -> {
                    lent.set(true);
                    Lease lease = new Lease(endpoint, connection, wiring.scheduler, wiring.cleanupTimeout(),
                            wiring.leaks.watch(origin, endpoint.name()),
                            wiring.tracing.forLoan(endpoint, endpoint == placement.writer(), consistency, acquiring));
                    held.set(lease);
                    return new ConnectionLoan(lease, forWrites, inFlight, endpoint.answeredCounter(),
                            wiring::onWriteToReadOnlyServer, ending.get());
                })
                .doFinally(signal -> {
                    if (!lent.get()) {
                        inFlight.decrementAndGet();
                    }
                });
    }
}
