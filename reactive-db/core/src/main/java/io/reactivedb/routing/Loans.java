package io.reactivedb.routing;

import io.r2dbc.spi.Connection;
import io.reactivedb.resilience.EndpointBreakers;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Lends connections to integrations that run the unit of work themselves
 * ({@link ReactiveDbRouter#borrowForRead}, {@link ReactiveDbRouter#borrowForWrite}): the same
 * endpoint choice, breaker, pool and acquire deadline as a unit of work, no retry.
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
    Mono<BorrowedConnection> borrow(@Nullable ReadConsistency consistency) {
        return Mono.deferContextual(context -> {
            if (!shutdown.isAccepting()) {
                return Mono.error(Shutdown.refusal());
            }
            Endpoint endpoint = consistency == null ? placement.writer()
                    : placement.read(consistency, ConsistencySession.from(context), null).endpoint();
            return endpoint == null ? Mono.error(Placement.nowhere(consistency)) : lend(endpoint, consistency == null);
        });
    }

    private Mono<BorrowedConnection> lend(Endpoint endpoint, boolean forWrites) {
        Mono<Connection> acquire = endpoint.pool().acquire();
        EndpointBreakers breakers = wiring.breakers;
        if (breakers != null) {
            // The breaker sees the acquire: refuses it while open, counts a refused connection.
            // A wait for a connection is never a slow call (the borrower's own work is not seen).
            acquire = Mono.fromDirect(acquire.flux().transformDeferred(breakers.operator(endpoint.name(), () -> EndpointBreakers.NOT_STARTED)));
        }
        AtomicInteger inFlight = endpoint.inFlightCounter();
        inFlight.incrementAndGet();
        AtomicBoolean lent = new AtomicBoolean();
        return acquire
                .map(connection -> {
                    lent.set(true);
                    return new BorrowedConnection(new Lease(endpoint, connection, wiring.scheduler, wiring.cleanupTimeout()), forWrites,
                            inFlight, endpoint.answeredCounter(), wiring::onWriteToReadOnlyServer);
                })
                .doFinally(signal -> {
                    if (!lent.get()) {
                        inFlight.decrementAndGet();
                    }
                });
    }
}
