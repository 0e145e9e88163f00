package io.reactivedb.routing;

import io.reactivedb.error.DbUnavailableException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The router's end: whether it still takes work, and the one shutdown (stop taking work, wait for
 * the work in flight up to a deadline, stop the health monitor and the watches, close the pools).
 */
final class Shutdown {

    private static final Logger log = LoggerFactory.getLogger(Shutdown.class);
    /** How often the shutdown and a reconnect's drain look whether the work in flight is done. */
    static final Duration IDLE_POLL = Duration.ofMillis(10);

    private final RouterWiring wiring;
    private final Supplier<Mono<Void>> closeListener;
    private final AtomicReference<@Nullable Mono<Void>> shutdown = new AtomicReference<>();
    private volatile boolean accepting = true;

    /** @param closeListener ends the notification subscribers and closes the listener's connection */
    Shutdown(RouterWiring wiring, Supplier<Mono<Void>> closeListener) {
        this.wiring = wiring;
        this.closeListener = closeListener;
    }

    boolean isAccepting() {
        return accepting;
    }

    /** The error of work offered after the shutdown began. */
    static DbUnavailableException refusal() {
        return new DbUnavailableException("the router is shut down and takes no new work", null);
    }

    /** The shutdown: started by the first call, the same {@code Mono} for every later one. */
    Mono<Void> shutdown(Duration deadline) {
        Objects.requireNonNull(deadline, "deadline");
        Mono<Void> candidate = Mono.defer(() -> drain(deadline))
                .then(wiring.health == null ? Mono.empty() : wiring.health.stop())
                .then(Mono.defer(closeListener))
                .then(Mono.fromRunnable(this::stopWatching))
                .then(closePools())
                .doOnSuccess(done -> {
                    wiring.observation.onShutdown();
                    log.info("Shut down");
                })
                .cache();
        return shutdown.compareAndSet(null, candidate) ? candidate : Objects.requireNonNull(shutdown.get());
    }

    private Mono<Void> drain(Duration deadline) {
        accepting = false;
        Endpoints endpoints = wiring.endpoints;
        log.info("Shutting down: waiting up to {} for {} unit(s) of work in flight", deadline, endpoints.inFlight());
        return Flux.interval(Duration.ZERO, IDLE_POLL, wiring.scheduler)
                .filter(tick -> endpoints.isIdle())
                .next()
                .then()
                .timeout(deadline, Mono.<Void>fromRunnable(() -> log.warn(
                        "Shutdown deadline of {} passed with {} unit(s) of work in flight; closing the pools anyway",
                        deadline, endpoints.inFlight())), wiring.scheduler);
    }

    private void stopWatching() {
        if (wiring.stallWatch != null) {
            wiring.stallWatch.dispose();
        }
        wiring.deadlines.dispose();
        if (wiring.breakerEvents != null) {
            wiring.breakerEvents.dispose();
        }
        if (wiring.breakers != null) {
            wiring.breakers.close();
        }
    }

    private Mono<Void> closePools() {
        return Flux.fromIterable(wiring.endpoints.all())
                .flatMap(endpoint -> endpoint.pool().close().onErrorResume(error -> {
                    log.warn("[{}] closing the pool failed: {}", endpoint.name(), error.toString());
                    return Mono.empty();
                }))
                .then();
    }
}
