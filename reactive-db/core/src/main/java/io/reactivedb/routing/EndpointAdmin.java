package io.reactivedb.routing;

import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.Phase;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.internal.pool.EndpointPool;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Operations on named endpoints, outside routing: warm-up, the probe statement, reconnecting (drain and rebuild a pool). */
final class EndpointAdmin {

    private static final Logger log = LoggerFactory.getLogger(EndpointAdmin.class);

    private final RouterWiring wiring;
    private final Shutdown shutdown;
    private final Duration queryTimeout;

    EndpointAdmin(RouterWiring wiring, Shutdown shutdown, Duration queryTimeout) {
        this.wiring = wiring;
        this.shutdown = shutdown;
        this.queryTimeout = queryTimeout;
    }

    /** Opens each pool's minimum: completes with the primary's; a replica that cannot be reached connects lazily. */
    Mono<Void> warmUp() {
        Mono<Integer> primaryWarm = wiring.endpoints.primary().pool().warmUp();
        Flux<Integer> replicaWarm = Flux.fromIterable(wiring.endpoints.replicas()).flatMap(replica -> replica.pool().warmUp()
                .onErrorResume(error -> {
                    log.warn("[{}] warm-up failed, the pool will connect on demand: {}", replica.name(), error.getMessage());
                    return Mono.empty();
                }));
        return Mono.when(primaryWarm, replicaWarm);
    }

    /** {@code sql} on {@code endpoint} over one pooled connection: its round trip, the wait for the connection excluded. */
    Mono<Duration> probe(String endpointName, String sql) {
        return Mono.defer(() -> {
            Endpoint endpoint = known(endpointName);
            if (!shutdown.isAccepting()) {
                return Mono.error(Shutdown.refusal());
            }
            return Mono.usingWhen(lease(endpoint), lease -> roundTrip(lease, sql), Lease::release,
                            (lease, error) -> lease.releaseAfterError(error), Lease::releaseAfterCancel)
                    .onErrorMap(UnitErrors::isCleanupWrapper, Throwable::getCause)
                    .onErrorMap(error -> !(error instanceof ReactiveDbException) && UnitErrors.isDriverFailure(error),
                            error -> ErrorTranslator.translate(error, endpoint.name(), Phase.EXECUTE, false))
                    .timeout(queryTimeout, wiring.scheduler)
                    .onErrorMap(TimeoutException.class, error -> UnitErrors.timedOut(endpoint, queryTimeout, false, error));
        });
    }

    private Mono<Lease> lease(Endpoint endpoint) {
        return endpoint.pool().acquire().map(connection -> new Lease(endpoint, connection, wiring.scheduler, wiring.cleanupTimeout()));
    }

    private static Mono<Duration> roundTrip(Lease lease, String sql) {
        return Mono.defer(() -> {
            long started = System.nanoTime();
            return lease.query(sql, row -> Boolean.TRUE).then(Mono.fromSupplier(() -> Duration.ofNanos(System.nanoTime() - started)));
        });
    }

    /** Drains and rebuilds the named endpoint's pool (see {@link ReactiveDbRouter#reconnect(String)}). */
    Mono<Void> reconnect(String endpointName) {
        return Mono.defer(() -> reconnect(known(endpointName)));
    }

    Mono<Void> reconnectAll() {
        return Mono.defer(() -> Flux.fromIterable(wiring.endpoints.all())
                .flatMapDelayError(this::reconnect, wiring.endpoints.all().size(), 1).then());
    }

    private Mono<Void> reconnect(Endpoint endpoint) {
        if (!shutdown.isAccepting()) {
            return Mono.error(Shutdown.refusal());
        }
        // Building a pool reads files (the driver's and Netty's set-up): off the caller's thread.
        return Mono.fromCallable(() -> EndpointPool.create(endpoint.settings(), wiring.settings.pool(), wiring.settings.session(),
                        wiring.deadlines))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(fresh -> drainAndClose(endpoint, endpoint.replacePool(fresh)));
    }

    private Mono<Void> drainAndClose(Endpoint endpoint, EndpointPool old) {
        Duration deadline = wiring.settings.shutdownTimeout();
        log.info("[{}] reconnecting: new work goes to a fresh pool; draining the old one ({})", endpoint.name(), old.statistics().describe());
        Mono<Void> drained = Flux.interval(Duration.ZERO, Shutdown.IDLE_POLL, wiring.scheduler)
                .filter(tick -> old.statistics().acquired() == 0 && old.statistics().pending() == 0)
                .next()
                .then()
                .timeout(deadline, Mono.<Void>fromRunnable(() -> log.warn("[{}] the old pool still lends connections after {}; closing it anyway",
                        endpoint.name(), deadline)), wiring.scheduler);
        return drained
                .then(old.close().onErrorResume(error -> {
                    log.warn("[{}] closing the old pool failed: {}", endpoint.name(), error.toString());
                    return Mono.empty();
                }))
                .then(endpoint.pool().warmUp())
                .doOnSuccess(opened -> log.info("[{}] reconnected", endpoint.name()))
                .then();
    }

    /** @throws IllegalArgumentException for an unknown name (inside the returned publisher's defer: an error signal) */
    private Endpoint known(String endpointName) {
        return wiring.endpoints.named(endpointName)
                .orElseThrow(() -> new IllegalArgumentException("no endpoint named '" + endpointName + "'"));
    }
}
